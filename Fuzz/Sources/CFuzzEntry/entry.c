// SwiftPM links every executable with `--defsym main=<Module>_main` (it renames Swift entry points so test
// bundles can link executables). WireFuzz is built with -parse-as-library and has no Swift main, and that
// alias would also hide libFuzzer's own `main`; so this is the entry point, handing over to libFuzzer's
// driver exactly as its `main` does. Should SwiftPM stop adding the alias, libFuzzer's `main` is used and
// this function is simply never called.
#include "CFuzzEntry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

int WireFuzz_main(int argc, char **argv) {
    return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput);
}

// The same hand-over for the exchange-parser target (Sources/ExchangeFuzz).
int ExchangeFuzz_main(int argc, char **argv) {
    return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput);
}
