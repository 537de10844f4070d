// exchsim: a local simulator of crypto exchanges (Binance spot, Bybit V5 spot and linear, WhiteBIT) for tests,
// benchmarks and demos.
// Flags: `exchsim --help`; admin API and details: docs/exchsim.md.
// Signals: SIGINT/SIGTERM stop it cleanly. Exit codes: 0 clean stop, 64 bad flags, 70 start-up failure.
await runExchsim()
