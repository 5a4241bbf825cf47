// The load tester's usage, apart from the command: `floodgate --help` shows it without loading
// the load tester's own dependencies.

export const LOADTEST_SUMMARY = 'reproduce a surge against a URL and audit the invariants afterwards';

export const LOADTEST_USAGE = `Usage: floodgate loadtest --target URL --scenario NAME|FILE.json --stage RATE/s:DURATION ...

  --target URL           the Floodgate to load (or FLOODGATE_URL): one instance or a load balancer
  --scenario S           a built-in scenario (below), or a JSON file of steps
  --stage 1000/s:10s --stage 5000/s:60s --stage 0/s:30s
                         constant arrival rate per stage (open model); durations in ms, s or m
  --admin-token T        (or FLOODGATE_ADMIN_TOKEN) creates the room or campaign and reads its state;
                         needed by waiting-room and claims
  --database-url URL     (or DATABASE_URL) reads the rows for the audit (claims, seats); without it
                         the checks on rows are skipped (SKIP), not failed
  --connections N        keep-alive connections (default 256)
  --max-in-flight N      flows in progress at most; arrivals beyond are dropped (default 400000)
  --max-lag-ms N         an arrival not started within N ms of its time is dropped (default 1000)
  --drain D              after the last stage, time for flows still running (default 10s)
  --warmup D             before the stages, D of the scenario's warm-up at the first stage rate
                         above 0, on entities of its own, not recorded (seats-one-seat; default none)
  --report PATH          writes PATH.json and PATH.html
  --keep                 keep the room, campaign and partner key it created (default: archived, revoked)
  --quiet                no progress line
  --verbose              on an error, print its stack trace too

Scenarios and their own options:
  waiting-room    anonymous visitors enter, poll as told until admitted, complete
                  --room ID | --admit-per-second N --max-active N --session-seconds N; --hold-ms N
  claims          distinct users claim a campaign (a partner's key)
                  --campaign ID --api-key K | --stock N --per-user-limit N; --users N --repeat-share 0.1
  seats-one-seat  seed 003: --users N people (default 3000) try one seat again and again: one booking
                  --users N --p99-ms 50
  seats-onsale    an on-sale surge: best-available for 1-6 seats; --confirm-share confirm, the rest abandon
                  --venue-seats N --hold-seconds N --confirm-share 0.8 --p99-ms 50
  courses         registration day: priority groups, carts of adds, polling as told; the record
                  replayed through the rules for the audit (with --database-url)
                  --students 18000 --courses 300 --groups 3 --group-gap 2s --early-share 0.02
                  --max-credits 18 --p99-goal-ms 2000
  wallet          transfers, spends, earns, holds and reversals, some replayed with their key; the
                  ledger audited (with --database-url): accounts sum to zero, nothing negative, each 2xx once
                  --wallets N (default 1000) --replay-share 0.1 [--api-key K]

Ctrl-C stops the arrivals, gives requests in flight 2 s, then prints the summary, writes the report
of what ran and exits 130; Ctrl-C again quits at once.
Exit status: 0 every audited invariant holds (or was skipped), 1 one does not or the target failed,
2 usage error, 130 interrupted.`;
