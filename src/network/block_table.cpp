#include "network/block_table.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include "io/h5.hpp"

namespace vna {

void writeBlockTable(hid_t object, const ParamLayout& layout, bool always_describe_sharing) {
  std::vector<std::string> names, shapes;
  std::vector<std::int64_t> offsets, sizes, site_sizes;
  for (const ParamBlock& b : layout.blocks) {
    names.push_back(b.name);
    offsets.push_back(static_cast<std::int64_t>(b.offset));
    sizes.push_back(static_cast<std::int64_t>(b.size));
    shapes.push_back(ParamLayout::shapeText(b));
    site_sizes.push_back(static_cast<std::int64_t>(b.site_size));
  }
  h5::writeAttribute(object, "param_block_names", names);
  h5::writeAttribute(object, "param_block_offsets", offsets);
  h5::writeAttribute(object, "param_block_sizes", sizes);
  if (!layout.perSite() && !always_describe_sharing) return;
  h5::writeAttribute(object, "weight_sharing", weightSharingName(layout.sharing));
  h5::writeAttribute(object, "param_block_shapes", shapes);
  h5::writeAttribute(object, "param_block_site_sizes", site_sizes);
}

}  // namespace vna
