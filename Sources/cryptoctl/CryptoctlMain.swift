import CryptodCtl

/// `cryptoctl`: the operator's command for a running `cryptod`. The logic lives in `CryptodCtl`.
///
/// Commands:
/// - `status [--json]`: every child's state, pid, uptime, automatic restarts, last exit and message.
/// - `restart CHILD`, `stop CHILD`, `start CHILD`: operator control of one child (`start`/`restart` reset
///   its crash budget).
/// - `reload`: reload the daemon's configuration file, all or nothing.
/// - `check-config [FILE]`, `config show [FILE]`: validate or show a configuration locally, no daemon needed.
///
/// Flags of every command: `--socket PATH` (the control socket), `--config FILE` (the daemon's configuration,
/// whose runtime_dir locates the socket), `--json`, `--timeout SECONDS`. Without them the socket is found
/// through `$CRYPTOD_CONTROL_SOCKET`, `$CRYPTOD_CONFIG`, the nearest `etc/cryptod.local.toml` above the
/// current directory, then `/run/cryptod/control.sock`.
///
/// Signals: none handled; SIGINT or SIGTERM end it at once (a request already sent still completes in the
/// daemon).
///
/// Exit codes: 0 ok; 1 the daemon reported a failure; 2 usage; 3 cannot reach the daemon; 4 unknown child;
/// 5 busy; 78 invalid configuration. See docs/operations.md.
@main
enum CryptoctlMain {
    static func main() async {
        await Cryptoctl.runAndExit()
    }
}
