#!/usr/bin/env bash
# Fuzzes every parser of untrusted input (UntrustedInput.parsers) with libFuzzer and
# AddressSanitizer, each for a bounded time; stops by itself.
#
#   scripts/fuzz.sh                       # every target, 600 s each, 2 at a time
#   scripts/fuzz.sh --seconds 20 --jobs 1 # the bounded smoke run scripts/test.sh does
#   scripts/fuzz.sh --seconds 60 template playbook
#
# Seeds: Tests/Fixtures/fuzz-seeds/<target>/ (kept in git, with every input that ever crashed
# a parser) plus the repository's own examples. Work: .build-fuzz/ (corpus, findings, logs;
# --work DIR for another, e.g. to fuzz while a run in the default one goes on).
# A crash, a hang (one input over 10 s) or an out-of-memory leaves the input in
# .build-fuzz/findings/<target>/ and fails the run; `.build/debug/deploy-fuzz TARGET FILE`
# replays it without the fuzzer.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=600
jobs=2
work="$PWD/.build-fuzz"
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done

mkdir -p "$work"
# Instrumented for libFuzzer and ASan, C code (libyaml in Yams) too; lld, because gold fails on
# the sanitizers' objects.
swift build -c release --scratch-path "$work" --product deploy-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DDEPLOY_FUZZ -Xswiftc -use-ld=lld \
  -Xcc -fsanitize=fuzzer-no-link,address >"$work/build.log" 2>&1 \
  || { tail -n 30 "$work/build.log" >&2; exit 1; }
fuzzer="$work/release/deploy-fuzz"

if [ ${#targets[@]} -eq 0 ]; then
  # The replayer lists the targets.
  swift build --product deploy-fuzz >/dev/null
  list=$({ "$(swift build --show-bin-path)/deploy-fuzz" 2>&1 || true; } | sed -n "s/^targets: //p")
  IFS=', ' read -r -a targets <<<"$list"
fi

# Seed corpus: the kept seeds, then the repository's examples for each kind of file.
seed() {
  local target="$1" dir="$work/corpus/$1"
  mkdir -p "$dir" "$work/findings/$target"
  if [ -d "Tests/Fixtures/fuzz-seeds/$target" ]; then
    cp -f Tests/Fixtures/fuzz-seeds/"$target"/* "$dir"/ 2>/dev/null || true
  fi
  local files=()
  case "$target" in
    project) files=(deploy.example.yml) ;;
    inventory-ini) mapfile -t files < <(ls inventory/*.ini Tests/Fixtures/playbook-corpus/inventory.ini 2>/dev/null) ;;
    inventory-yaml) mapfile -t files < <(ls inventory/*.yml 2>/dev/null) ;;
    playbook) mapfile -t files < <(find playbooks examples/demo-play.yml Tests/Fixtures/playbook-corpus -name '*.yml' -not -path '*/templates/*' | head -n 200) ;;
    template) mapfile -t files < <(find playbooks Tests/Fixtures/playbook-corpus -name '*.j2' | head -n 100) ;;
  esac
  local f
  for f in "${files[@]}"; do cp -f "$f" "$dir/repo-$(echo "$f" | tr '/' '_')"; done
}

run_one() {
  local target="$1" log="$work/logs/$1.log"
  mkdir -p "$work/logs"
  seed "$target"
  local started=$SECONDS status=0
  # Leaks are not looked for: the Swift runtime's regex parser keeps what it allocates.
  ASAN_OPTIONS=detect_leaks=0 SWIFT_BACKTRACE=enable=no DEPLOY_FUZZ_TARGET="$target" "$fuzzer" -detect_leaks=0 -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
    -artifact_prefix="$work/findings/$target/" "$work/corpus/$target" >"$log" 2>&1 || status=$?
  local runs cov
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
  if [ "$status" -eq 0 ]; then
    printf 'fuzz %-18s ok       %5ss %10s inputs, coverage %s\n' "$target" $((SECONDS - started)) "${runs:-?}" "${cov:-?}"
  else
    printf 'fuzz %-18s FAILED   %5ss (exit %s): see %s and %s\n' "$target" $((SECONDS - started)) \
      "$status" "$log" "$work/findings/$target/"
    grep -m 3 -E 'ERROR|Fatal error|deadly signal|timeout' "$log" | sed 's/^/    /'
  fi
  return "$status"
}

failed=0
pids=()
names=()
for target in "${targets[@]}"; do
  run_one "$target" &
  pids+=($!)
  names+=("$target")
  # At most $jobs at once.
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
done
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || failed=$((failed + 1))
done
echo "fuzz: $((${#targets[@]} - failed)) of ${#targets[@]} targets clean after ${seconds}s each"
[ "$failed" -eq 0 ]
