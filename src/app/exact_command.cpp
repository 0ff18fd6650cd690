#include "app/command.hpp"
namespace vna {
nlohmann::json runExact(const CommandContext& ctx) { return {}; }
}  // namespace vna
