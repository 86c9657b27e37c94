// encode_extract: encode a CSV extract with the starter schema, as a data holder's own tool would.
//
//   BLOOMLINK_SECRET=... encode_extract trust.csv trust.bloom
#include <cstdio>

#include "bloomlink/encode/encode_csv.hpp"
#include "bloomlink/encode/secret.hpp"
#include "bloomlink/io/encoded_file.hpp"
#include "bloomlink/schema.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr,
                 "usage: encode_extract INPUT.csv OUTPUT.bloom (secret in BLOOMLINK_SECRET)\n");
    return 2;
  }
  auto fail = [](const absl::Status& s) {
    std::fprintf(stderr, "error: %s\n", std::string(s.message()).c_str());
    return 2;
  };
  auto schema = bloomlink::ParseSchema(bloomlink::StarterSchemaJson(), "starter schema");
  if (!schema.ok()) return fail(schema.status());
  auto secret = bloomlink::encode::Secret::FromEnvironment("BLOOMLINK_SECRET");
  if (!secret.ok()) return fail(secret.status());
  auto encoder = bloomlink::encode::Encoder::Create(*schema, *secret);
  if (!encoder.ok()) return fail(encoder.status());
  bloomlink::encode::EncodeReport report;
  auto data = bloomlink::encode::EncodeCsv(argv[1], *encoder, {}, &report);
  if (!data.ok()) return fail(data.status());
  if (absl::Status s = bloomlink::io::WriteEncodedFile(*data, argv[2]); !s.ok()) return fail(s);
  std::printf("%llu records encoded, %llu skipped\n",
              static_cast<unsigned long long>(report.records_encoded),
              static_cast<unsigned long long>(report.records_skipped));
  return 0;
}
