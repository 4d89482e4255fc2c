#!/usr/bin/env python3
"""Checks a --profile report against live runs of the same program (issue 7).

usage: check_profile_mrc.py PROFILE_REPORT [--tolerance PCT] [--knee LO HI]
                            LIVE_REPORT...

Each LIVE_REPORT is a run under LRU with a budget and --fault-around off:
its faults (first touches + swap-ins + same-filled) must be within PCT % of
what the profile's LRU curve says for that budget (interpolated between the
curve's points, which are 1.1% of frames apart above 1,024).  The profile's own
timeline must add up to its report's totals (faults, evictions), its
working set per bucket cannot exceed the pages referenced, and, with
--knee, the knee must fall in [LO, HI] frames.  Prints one line per check;
exit 1 if any failed.
"""
import argparse
import bisect
import sys

from jsonload import load_object


def load_report(path):
    errs = []
    r = load_object(path, 'report', errs)
    if r is None:
        print('FAIL: ' + errs[0])
        sys.exit(1)
    return r

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('profile')
    ap.add_argument('live', nargs='*')
    ap.add_argument('--tolerance', type=float, default=2.0)
    ap.add_argument('--knee', type=int, nargs=2)
    a = ap.parse_args()
    fails = 0

    def fail(msg):
        nonlocal fails
        print('FAIL: ' + msg)
        fails += 1

    rep = load_report(a.profile)
    prof = rep.get('profile')
    if not prof or not prof.get('mrc'):
        print('FAIL: no profile.mrc in ' + a.profile)
        return 1
    mrc = prof['mrc']
    frames, faults = mrc['lru']['frames'], mrc['lru']['faults']
    if frames != sorted(frames) or any(faults[i] < faults[i + 1] for i in range(len(faults) - 1)):
        fail('the LRU curve is not ascending in frames and non-increasing in faults')
    if faults and faults[-1] != mrc['cold_misses']:
        fail('the curve ends at %d faults, not at the %d cold misses' % (faults[-1], mrc['cold_misses']))
    tl = prof['timeline']
    for key, total in (('faults', rep['faults']['total']), ('evictions', rep['evictions'])):
        if sum(tl[key]) != total:
            fail('timeline %s add up to %d, the report says %d' % (key, sum(tl[key]), total))
    if max(tl['wss_pages'] or [0]) > mrc['distinct_pages']:
        fail('a working set above the pages referenced')
    if any(f < r for f, r in zip(tl['faults'], tl['swap_ins'])):
        fail('a bucket with more swap-ins than faults')
    print('profile: %d references, %d pages, %d cold misses, knee %s' %
          (mrc['references'], mrc['distinct_pages'], mrc['cold_misses'],
           mrc['knee'] and mrc['knee']['frames']))
    if a.knee:
        k = mrc['knee'] and mrc['knee']['frames']
        if not k or not a.knee[0] <= k <= a.knee[1]:
            fail('knee at %s frames, expected %d..%d' % (k, a.knee[0], a.knee[1]))
    for path in a.live:
        live = load_report(path)
        k = live['frames']
        i = bisect.bisect_right(frames, k) - 1
        if i < 0 or i + 1 >= len(frames) and frames[i] != k:
            fail('%s: %d frames is outside the curve' % (path, k))
            continue
        # Between two points (64 per doubling above 1,024 frames): linear.
        pred = faults[i]
        if frames[i] != k:
            x0, x1, y0, y1 = frames[i], frames[i + 1], faults[i], faults[i + 1]
            pred = round(y0 + (y1 - y0) * (k - x0) / (x1 - x0))
        got = live['faults']['total']
        err = 100.0 * (pred - got) / got if got else 0.0
        line = '%6d frames: live LRU %8d faults, predicted %8d (%+.2f%%)' % (k, got, pred, err)
        if live['policy'] != 'lru' or live['faults']['fault_around_pages']:
            fail('%s: not an LRU run with --fault-around off' % path)
        elif abs(err) > a.tolerance:
            fail(line + ', more than %.1f%%' % a.tolerance)
        else:
            print(line)
    return 1 if fails else 0

if __name__ == '__main__':
    sys.exit(main())
