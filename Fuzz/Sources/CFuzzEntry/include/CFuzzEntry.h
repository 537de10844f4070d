#ifndef CFUZZENTRY_H
#define CFUZZENTRY_H
#include <stddef.h>
#include <stdint.h>

/// The process entry point SwiftPM aliases `main` to; see entry.c.
int WireFuzz_main(int argc, char **argv);
/// The same for ExchangeFuzz.
int ExchangeFuzz_main(int argc, char **argv);

#endif
