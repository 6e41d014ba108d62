// libFuzzer target: the provenance container scan (src/provenance) on arbitrary bytes. It must
// never throw, and what it returns stays bounded (text fields are capped, notes are few).
#include <cstdlib>

#include "provenance/provenance.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const dfs::Provenance p = dfs::scan_provenance(data, size);
  for (const std::string* s : {&p.ai_generator, &p.ai_evidence, &p.digital_source_type, &p.software,
                               &p.camera, &p.creator_tool})
    if (s->size() > 512) std::abort();
  if (p.unreadable.size() > 8 || p.c2pa_bytes > size) std::abort();
  (void)p.ai_declared();
  return 0;
}
