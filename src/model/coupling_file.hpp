#pragma once
// Coupling files: the "vna coupling list" format and the full-matrix format (doc/input_reference.md).
//
// List format, one entry per line (whitespace separated; '#' starts a comment; blank lines allowed):
//   i j J     the term −J σ_i σ_j   (i ≠ j; the spin-glass convention of the published instances)
//   i i h     the field −h σ_i
// Header comments: '# index_base: 0' or '# index_base: 1' (the base of i, j) and, optionally,
// '# spins: N' (otherwise N = largest index + 1 − base). A pair or a field given twice is rejected.
// Matrix format: N lines of N numbers, symmetric with zero diagonal, H = −(1/2) sᵀ J s.
#include <string>
#include <vector>

#include "model/model.hpp"

namespace vna {

enum class CouplingFormat { kAuto, kList, kMatrix };

// "auto" | "list" | "matrix"; anything else is an InputError naming `key`.
CouplingFormat parseCouplingFormat(const std::string& name, const std::string& key = "format");

// Reads a coupling file into a Model (hamiltonian, lattice, description, source = path; no ground
// truth). index_base: 0 or 1, or −1 to take it from the file's header (list format; a header that
// disagrees with a given base is an error). format kAuto: the first data line decides (more than 3
// numbers means matrix, unless an '# index_base' header before it marks a list; write
// 'format: matrix' for matrices of N <= 3). Every malformed input is an InputError whose message
// starts with "path:line: ".
Model readCouplingFile(const std::string& path, int index_base = -1, CouplingFormat format = CouplingFormat::kAuto);

// Writes h's 2-body terms and fields in the list format with a header ('# index_base', '# spins'),
// each coefficient with 17 significant digits, so reading the file back gives bit-identical
// coefficients. Throws Error for terms of order > 2, a nonzero transverse field, a pair that appears
// in two terms, or an I/O failure.
void writeCouplingFile(const std::string& path, const Hamiltonian& h, int index_base = 0);

// The lattice vna uses for a coupling file's Hamiltonian: Lattice::square(L, L) when N = L·L and
// every bond joins nearest neighbours of the L×L square lattice (open or periodic), Lattice::chain(N)
// when every bond joins i and i+1 (or 0 and N−1), else Lattice::chain(N, "complete").
Lattice couplingFileLattice(const Hamiltonian& h);

// Reads a spin configuration given as the whitespace-separated ids of the up (+1) spins, all others
// down (the gs_seed{s}.txt files of the published EA instances use index_base 1). '#' comments allowed.
std::vector<Bit> readSpinUpList(const std::string& path, int num_spins, int index_base);

}  // namespace vna
