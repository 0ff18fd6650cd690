#include "model/coupling_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string_view>
#include <tuple>

#include "core/error.hpp"

namespace vna {

CouplingFormat parseCouplingFormat(const std::string& name, const std::string& key) {
  if (name == "auto") return CouplingFormat::kAuto;
  if (name == "list") return CouplingFormat::kList;
  if (name == "matrix") return CouplingFormat::kMatrix;
  throw InputError(fmt::format("{}: unknown coupling file format '{}' (expected auto, list or matrix)", key, name));
}

namespace {

// Far beyond any model vna can sample; catches a typo such as an index of 10^12 before allocating.
constexpr long long kMaxSpins = 1LL << 26;

constexpr std::string_view kBlanks = " \t\r\v\f";

std::string_view trim(std::string_view s) {
  const auto b = s.find_first_not_of(kBlanks);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(kBlanks) - b + 1);
}

std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t k = 0;
  while (true) {
    k = s.find_first_not_of(kBlanks, k);
    if (k == std::string_view::npos) break;
    const std::size_t e = std::min(s.find_first_of(kBlanks, k), s.size());
    out.push_back(s.substr(k, e - k));
    k = e;
  }
  return out;
}

std::string join(const std::vector<std::string_view>& tokens) {
  std::string s;
  for (std::size_t k = 0; k < tokens.size(); ++k) {
    if (k) s += ' ';
    s += tokens[k];
  }
  return s;
}

// Locale-independent, exact (correctly rounded) parse of a whole token.
std::optional<double> parseDouble(std::string_view t) {
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  double v = 0.0;
  const auto r = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || r.ec != std::errc() || r.ptr != t.data() + t.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<long long> parseInteger(std::string_view t) {
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  long long v = 0;
  const auto r = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || r.ec != std::errc() || r.ptr != t.data() + t.size()) return std::nullopt;
  return v;
}

// Reads a text file line by line; every error names "path:line".
class LineReader {
 public:
  explicit LineReader(const std::string& path, const char* what) : path_(path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
      throw InputError(fmt::format("cannot open {} '{}': {}", what, path, std::strerror(EISDIR)));
    in_.open(path);
    if (!in_) throw InputError(fmt::format("cannot open {} '{}': {}", what, path, std::strerror(errno)));
  }
  // Next line with its comment stripped into `comment` (text after '#', or empty).
  bool next(std::string_view& data, std::string_view& comment) {
    if (!std::getline(in_, line_)) {
      if (in_.bad()) throw InputError(fmt::format("{}:{}: read error: {}", path_, number_ + 1, std::strerror(errno)));
      return false;
    }
    ++number_;
    std::string_view v(line_);
    const auto hash = v.find('#');
    comment = hash == std::string_view::npos ? std::string_view{} : trim(v.substr(hash + 1));
    data = trim(v.substr(0, hash));
    return true;
  }
  int number() const { return number_; }
  [[noreturn]] void fail(int line, const std::string& message) const {
    throw InputError(fmt::format("{}:{}: {}", path_, line, message));
  }
  [[noreturn]] void fail(const std::string& message) const { fail(number_, message); }

 private:
  std::string path_;
  std::ifstream in_;
  std::string line_;
  int number_ = 0;
};

// A header value seen in a comment "key: value"; conflicting repeats are errors.
struct HeaderValue {
  std::optional<long long> value;
  int line = 0;
};

void parseHeaderComment(LineReader& r, std::string_view comment, HeaderValue& base, HeaderValue& spins) {
  const auto colon = comment.find(':');
  if (colon == std::string_view::npos) return;
  const std::string_view key = trim(comment.substr(0, colon));
  const std::string_view text = trim(comment.substr(colon + 1));
  HeaderValue* slot = nullptr;
  if (key == "index_base")
    slot = &base;
  else if (key == "spins")
    slot = &spins;
  else
    return;  // an ordinary comment
  const auto v = parseInteger(text);
  if (slot == &base && (!v || (*v != 0 && *v != 1))) r.fail(fmt::format("index_base must be 0 or 1, got '{}'", text));
  if (slot == &spins && (!v || *v < 1 || *v > kMaxSpins))
    r.fail(fmt::format("spins must be an integer in [1, {}], got '{}'", kMaxSpins, text));
  if (slot->value && *slot->value != *v)
    r.fail(fmt::format("'{}: {}' contradicts '{}: {}' on line {}", key, *v, key, *slot->value, slot->line));
  slot->value = v;
  slot->line = r.number();
}

struct ListEntry {
  long long i, j;
  double value;
  int line;
};

struct ParsedFile {
  int num_spins = 0;
  std::size_t num_pairs = 0, num_fields = 0;
  int index_base = -1;  // list format only
  Hamiltonian hamiltonian;
};

// Without a '# spins: N' header, N comes from the largest index, so every spin must appear in a line:
// an uncoupled spin is a typo (one index of 67108864 among indices below 100 would make a model of 67
// million spins, almost all free) or a wrong index base (a 1-based file read with index_base 0 leaves
// spin 0 free). Checked on the distinct indices, before anything of size N is allocated.
void checkEverySpinCoupled(const LineReader& r, const std::vector<ListEntry>& entries, int base, long long n,
                           bool base_from_header) {
  std::vector<long long> used;
  used.reserve(2 * entries.size());
  for (const auto& e : entries) used.insert(used.end(), {e.i, e.j});
  std::sort(used.begin(), used.end());
  used.erase(std::unique(used.begin(), used.end()), used.end());
  const long long free_spins = n - static_cast<long long>(used.size());
  if (free_spins == 0) return;
  const std::string how = " (a '# spins: N' header line allows spins without couplings)";
  if (base == 0 && used.front() == 1 && free_spins == 1)
    r.fail(1, fmt::format("spin 0 appears in no coupling or field, and the smallest index is 1: the file looks 1-based "
                          "but is read with index_base 0 ({}): use index_base 1{}",
                          base_from_header ? "its '# index_base' header" : "model.index_base", how));
  // The largest index alone far above the others: name its line.
  const long long largest = used.back();
  const long long next = used.size() > 1 ? used[used.size() - 2] : base - 1;
  if (largest - next > static_cast<long long>(used.size())) {
    int line = 0;
    for (const auto& e : entries)
      if (std::max(e.i, e.j) == largest) line = e.line;
    r.fail(line, fmt::format("site index {} makes N = {} spins, but only {} distinct spins appear in the file (the "
                             "next largest index is {}): a typo?{}",
                             largest, n, used.size(), next, how));
  }
  std::string list;
  long long shown = 0, expect = base;
  for (std::size_t k = 0; k <= used.size() && shown < 5; ++k) {
    const long long upto = k < used.size() ? used[k] : base + n;
    for (long long i = expect; i < upto && shown < 5; ++i, ++shown) list += (shown ? ", " : "") + std::to_string(i);
    if (k < used.size()) expect = used[k] + 1;
  }
  r.fail(r.number(), fmt::format("{} of the {} spins (index {}{}) appear{} in no coupling or field (index_base {}): a "
                                 "free spin only doubles the degeneracy{}",
                                 free_spins, n, list, free_spins > shown ? ", ..." : "", free_spins == 1 ? "s" : "",
                                 base, how));
}

ParsedFile finishList(const LineReader& r, std::vector<ListEntry>& entries, const HeaderValue& base_header,
                      const HeaderValue& spins_header, int spec_base) {
  if (entries.empty()) r.fail(r.number(), "no couplings found (expected lines 'i j J')");
  int base = spec_base;
  if (base_header.value) {
    if (spec_base >= 0 && spec_base != *base_header.value)
      r.fail(base_header.line, fmt::format("the file declares index_base {} but the configuration sets index_base {}",
                                           *base_header.value, spec_base));
    base = static_cast<int>(*base_header.value);
  }
  if (base < 0)
    r.fail(1,
           "index base unknown: add a header line '# index_base: 0' or '# index_base: 1', or set "
           "model.index_base");
  long long n = 0;
  if (spins_header.value) {
    n = *spins_header.value;
  } else {
    for (const auto& e : entries) {
      const long long m = std::max(e.i, e.j) - base + 1;
      if (m > kMaxSpins)
        r.fail(e.line, fmt::format("site index {} is beyond the largest supported model ({} spins)", std::max(e.i, e.j),
                                   kMaxSpins));
      n = std::max(n, m);
    }
  }
  for (const auto& e : entries)
    for (long long idx : {e.i, e.j})
      if (idx < base || idx >= base + n)
        r.fail(e.line, fmt::format("site index {} out of range [{}, {}] (index_base {}, {} spins{})", idx, base,
                                   base + n - 1, base, n, spins_header.value ? " from the '# spins' header" : ""));
  if (!spins_header.value) checkEverySpinCoupled(r, entries, base, n, base_header.value.has_value());
  // Duplicates: sort by the unordered pair, keep file order among equals.
  std::vector<std::size_t> idx(entries.size());
  for (std::size_t k = 0; k < idx.size(); ++k) idx[k] = k;
  auto key = [&](std::size_t k) {
    const auto& e = entries[k];
    return std::make_tuple(std::min(e.i, e.j), std::max(e.i, e.j), e.line);
  };
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return key(a) < key(b); });
  for (std::size_t k = 1; k < idx.size(); ++k) {
    const auto& a = entries[idx[k - 1]];
    const auto& b = entries[idx[k]];
    if (std::min(a.i, a.j) == std::min(b.i, b.j) && std::max(a.i, a.j) == std::max(b.i, b.j)) {
      if (a.i == a.j) r.fail(b.line, fmt::format("duplicate field on site {}: already given on line {}", b.i, a.line));
      r.fail(b.line,
             fmt::format("duplicate bond ({}, {}): already given on line {} as ({}, {})", b.i, b.j, a.line, a.i, a.j));
    }
  }
  ParsedFile p;
  p.num_spins = static_cast<int>(n);
  p.index_base = base;
  p.hamiltonian = Hamiltonian(p.num_spins);
  for (const auto& e : entries) {
    const int i = static_cast<int>(e.i - base), j = static_cast<int>(e.j - base);
    if (i == j) {
      p.hamiltonian.addField(i, -e.value);
      ++p.num_fields;
    } else {
      p.hamiltonian.addTerm(-e.value, {i, j});
      ++p.num_pairs;
    }
  }
  return p;
}

ParsedFile readList(LineReader& r, std::string_view first_data, int first_line, HeaderValue& base_header,
                    HeaderValue& spins_header, int spec_base) {
  std::vector<ListEntry> entries;
  auto parseLine = [&](std::string_view data, int line) {
    const auto tok = split(data);
    if (tok.size() != 3)
      r.fail(line, fmt::format("expected 'i j J' (or 'i i h'), got {} field{}: '{}'", tok.size(),
                               tok.size() == 1 ? "" : "s", join(tok)));
    const auto i = parseInteger(tok[0]);
    if (!i) r.fail(line, fmt::format("site index '{}' is not an integer", tok[0]));
    const auto j = parseInteger(tok[1]);
    if (!j) r.fail(line, fmt::format("site index '{}' is not an integer", tok[1]));
    const auto v = parseDouble(tok[2]);
    if (!v) r.fail(line, fmt::format("{} '{}' is not a finite number", *i == *j ? "field" : "coupling", tok[2]));
    entries.push_back({*i, *j, *v, line});
  };
  parseLine(first_data, first_line);
  std::string_view data, comment;
  while (r.next(data, comment)) {
    if (!comment.empty()) parseHeaderComment(r, comment, base_header, spins_header);
    if (!data.empty()) parseLine(data, r.number());
  }
  return finishList(r, entries, base_header, spins_header, spec_base);
}

ParsedFile readMatrix(LineReader& r, std::string_view first_data, int first_line, const HeaderValue& spins_header,
                      bool auto_detected) {
  std::vector<std::vector<double>> rows;
  std::vector<int> row_line;
  std::size_t n = 0;
  auto parseRow = [&](std::string_view data, int line) {
    const auto tok = split(data);
    if (rows.empty()) n = tok.size();
    if (tok.size() != n)
      r.fail(line,
             fmt::format("expected {} numbers per row (as on line {}), got {}{}", n, row_line.front(), tok.size(),
                         auto_detected ? fmt::format("; the file is read as a matrix because line {} has more "
                                                     "than 3 numbers (set model.format: list for a coupling list)",
                                                     row_line.front())
                                       : std::string()));
    if (rows.size() == n) r.fail(line, fmt::format("more than {} rows in a {}x{} matrix", n, n, n));
    std::vector<double> row(n);
    for (std::size_t c = 0; c < n; ++c) {
      const auto v = parseDouble(tok[c]);
      if (!v) r.fail(line, fmt::format("column {}: '{}' is not a finite number", c + 1, tok[c]));
      row[c] = *v;
    }
    rows.push_back(std::move(row));
    row_line.push_back(line);
  };
  parseRow(first_data, first_line);
  std::string_view data, comment;
  HeaderValue ignored_base, spins = spins_header;
  while (r.next(data, comment)) {
    if (!comment.empty()) parseHeaderComment(r, comment, ignored_base, spins);
    if (!data.empty()) parseRow(data, r.number());
  }
  if (rows.size() != n)
    r.fail(r.number(),
           fmt::format("expected {} rows (a square matrix, {} numbers per row), got {}", n, n, rows.size()));
  if (n < 2) r.fail(row_line.front(), "a coupling matrix needs at least 2 spins");
  if (spins.value && static_cast<std::size_t>(*spins.value) != n)
    r.fail(spins.line, fmt::format("'# spins: {}' but the matrix is {}x{}", *spins.value, n, n));
  double max_abs = 0.0;
  for (const auto& row : rows)
    for (double v : row) max_abs = std::max(max_abs, std::abs(v));
  // Symmetric up to the round-off of a symmetric product written at full precision.
  const double tol = 1e-12 * max_abs;
  ParsedFile p;
  p.num_spins = static_cast<int>(n);
  p.hamiltonian = Hamiltonian(p.num_spins);
  for (std::size_t i = 0; i < n; ++i) {
    if (rows[i][i] != 0.0)
      r.fail(row_line[i],
             fmt::format("diagonal entry (row {}, column {}) = {} must be zero", i + 1, i + 1, rows[i][i]));
    for (std::size_t j = i + 1; j < n; ++j) {
      const double a = rows[i][j], b = rows[j][i];
      if (std::abs(a - b) > tol)
        r.fail(row_line[j], fmt::format("matrix not symmetric: entry (row {}, column {}) = {} but (row {}, column {}) "
                                        "= {} on line {}",
                                        j + 1, i + 1, b, i + 1, j + 1, a, row_line[i]));
      const double J = a == b ? a : 0.5 * (a + b);
      if (J != 0.0) {
        p.hamiltonian.addTerm(-J, {static_cast<int>(i), static_cast<int>(j)});
        ++p.num_pairs;
      }
    }
  }
  return p;
}

bool isSquareBond(int a, int b, int L) {
  const int xa = a % L, ya = a / L, xb = b % L, yb = b / L;
  const int dx = std::abs(xa - xb), dy = std::abs(ya - yb);
  const bool hx = dx == 1 || (L > 2 && dx == L - 1);  // open or wrapping neighbour along x
  const bool hy = dy == 1 || (L > 2 && dy == L - 1);
  return (dy == 0 && hx) || (dx == 0 && hy);
}

}  // namespace

Lattice couplingFileLattice(const Hamiltonian& h) {
  const int n = h.numSpins();
  const int L = static_cast<int>(std::lround(std::sqrt(static_cast<double>(n))));
  bool square = L >= 2 && L * L == n, chain = true;
  for (std::size_t t = 0; t < h.numTerms(); ++t) {
    if (h.termOrder(t) != 2) {
      square = chain = false;
      break;
    }
    const int a = h.termSitesBegin(t)[0], b = h.termSitesBegin(t)[1];  // sorted: a < b
    if (square && !isSquareBond(a, b, L)) square = false;
    if (chain && !(b - a == 1 || (a == 0 && b == n - 1))) chain = false;
  }
  if (square) return Lattice::square(L, L);
  if (chain) return Lattice::chain(n);
  return Lattice::chain(n, "complete");
}

Model readCouplingFile(const std::string& path, int index_base, CouplingFormat format) {
  if (index_base != -1 && index_base != 0 && index_base != 1)
    throw InputError(fmt::format("index_base must be 0 or 1 (or unset), got {}", index_base));
  LineReader r(path, "coupling file");
  HeaderValue base_header, spins_header;
  std::string_view data, comment;
  while (r.next(data, comment)) {
    if (!comment.empty()) parseHeaderComment(r, comment, base_header, spins_header);
    if (!data.empty()) break;
  }
  if (data.empty()) r.fail(r.number(), "no couplings found (the file has no data lines)");
  const int first_line = r.number();
  const std::string first(data);  // `data` points into the reader's line buffer
  const std::size_t first_count = split(first).size();
  const bool auto_detected = format == CouplingFormat::kAuto;
  // A matrix has no index base, so a file that declares one is a list.
  if (auto_detected) format = first_count > 3 && !base_header.value ? CouplingFormat::kMatrix : CouplingFormat::kList;
  ParsedFile p = format == CouplingFormat::kMatrix
                     ? readMatrix(r, first, first_line, spins_header, auto_detected)
                     : readList(r, first, first_line, base_header, spins_header, index_base);
  Model m;
  m.hamiltonian = std::move(p.hamiltonian);
  m.hamiltonian.name = fmt::format("coupling_file {}", path);
  m.lattice = couplingFileLattice(m.hamiltonian);
  m.source = path;
  if (format == CouplingFormat::kMatrix)
    m.description = fmt::format("couplings from '{}' (matrix format, N={}, {} nonzero couplings, {} lattice)", path,
                                p.num_spins, p.num_pairs, m.lattice.kind);
  else
    m.description = fmt::format(
        "couplings from '{}' (list format, index base {}, N={}, {} couplings, {} fields, {} "
        "lattice)",
        path, p.index_base, p.num_spins, p.num_pairs, p.num_fields, m.lattice.kind);
  return m;
}

void writeCouplingFile(const std::string& path, const Hamiltonian& h, int index_base) {
  if (index_base != 0 && index_base != 1)
    throw Error(fmt::format("writeCouplingFile: index_base must be 0 or 1, got {}", index_base));
  if (h.transverseField() != 0.0)
    throw Error("writeCouplingFile: a transverse field cannot be written to a coupling file");
  std::vector<std::pair<int, int>> pairs;
  pairs.reserve(h.numTerms());
  for (std::size_t t = 0; t < h.numTerms(); ++t) {
    if (h.termOrder(t) != 2)
      throw Error(fmt::format("writeCouplingFile: term {} has {} sites; coupling files hold only 1- and 2-body terms",
                              t, h.termOrder(t)));
    pairs.emplace_back(h.termSitesBegin(t)[0], h.termSitesBegin(t)[1]);
  }
  std::sort(pairs.begin(), pairs.end());
  if (const auto d = std::adjacent_find(pairs.begin(), pairs.end()); d != pairs.end())
    throw Error(
        fmt::format("writeCouplingFile: sites ({}, {}) appear in two terms; merge them first", d->first, d->second));

  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) throw Error(fmt::format("cannot write coupling file '{}': {}", path, std::strerror(errno)));
  std::string out;
  out += "# vna coupling list: a line 'i j J' is the term -J s_i s_j, a line 'i i h' the field -h s_i\n";
  out += fmt::format("# index_base: {}\n# spins: {}\n", index_base, h.numSpins());
  if (!h.name.empty()) out += fmt::format("# model: {}\n", h.name);
  char buf[64];
  // %.17g: every double is written with enough digits to be read back bit for bit.
  for (std::size_t t = 0; t < h.numTerms(); ++t) {
    std::snprintf(buf, sizeof buf, "%.17g", -h.termCoeff(t));
    out += fmt::format("{} {} {}\n", h.termSitesBegin(t)[0] + index_base, h.termSitesBegin(t)[1] + index_base, buf);
  }
  for (int i = 0; i < h.numSpins(); ++i)
    if (h.fields()[i] != 0.0) {
      std::snprintf(buf, sizeof buf, "%.17g", -h.fields()[i]);
      out += fmt::format("{} {} {}\n", i + index_base, i + index_base, buf);
    }
  const bool wrote = std::fwrite(out.data(), 1, out.size(), f) == out.size();
  const int write_errno = errno;
  const bool closed = std::fclose(f) == 0;
  if (!wrote || !closed)
    throw Error(fmt::format("error writing coupling file '{}': {}", path, std::strerror(wrote ? errno : write_errno)));
}

std::vector<Bit> readSpinUpList(const std::string& path, int num_spins, int index_base) {
  if (index_base != 0 && index_base != 1)
    throw InputError(fmt::format("readSpinUpList: index_base must be 0 or 1, got {}", index_base));
  LineReader r(path, "spin configuration file");
  std::vector<Bit> bits(num_spins, 0);
  std::vector<int> seen_on(num_spins, 0);
  std::string_view data, comment;
  while (r.next(data, comment))
    for (std::string_view t : split(data)) {
      const auto v = parseInteger(t);
      if (!v) r.fail(fmt::format("spin id '{}' is not an integer", t));
      if (*v < index_base || *v >= index_base + num_spins)
        r.fail(fmt::format("spin id {} out of range [{}, {}]", *v, index_base, index_base + num_spins - 1));
      const int i = static_cast<int>(*v - index_base);
      if (seen_on[i]) r.fail(fmt::format("spin id {} listed twice (first on line {})", *v, seen_on[i]));
      seen_on[i] = r.number();
      bits[i] = 1;
    }
  return bits;
}

}  // namespace vna
