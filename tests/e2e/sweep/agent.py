#!/usr/bin/env python3
# An exec agent that plays the sweep's roles (docs/sweep.md) by the first
# line of its prompt, as a team's own reviewer command would: the role and
# the schema are in the request ($WFM_AGENT_JSON_FILE), the prompt on stdin.
#
#   classifier  every category a unit with a copy, a key or a command may need
#   reviewer    memory-safety: each strcpy( line is a finding, and so (wrongly)
#               each snprintf( line, which the verifiers refute
#   verifier    refutes what quotes snprintf; with SWEEP_FAIL_VERIFY set,
#               fails (exit 1) on the 2nd and 3rd verifier of a finding; with
#               SWEEP_HANG_VERIFY set, sleeps (until the run is stopped)
#
# Each prompt is saved to $SWEEP_PROMPTS/<n>.txt for the test to read.
import json, os, re, sys

prompt = sys.stdin.read()
with open(os.environ['WFM_AGENT_JSON_FILE']) as f:
    req = json.load(f)
d = os.environ.get('SWEEP_PROMPTS')
if d:
    n = len(os.listdir(d))
    with open(os.path.join(d, '%04d-%d.txt' % (n, os.getpid())), 'w') as f:
        f.write(json.dumps({'role': req['role'], 'label': req['label'], 'schema': req['schema']}) + '\n' + prompt)

first, _, rest = prompt.partition('\n')
if req['role'] not in ('classifier', 'reviewer') or req['schema'] is None:
    sys.exit('unexpected request: role %s' % req['role'])
code = [l for l in rest.split('\n') if re.match(r'^\d+\| ', l)]

if first == 'Security triage: which categories does this unit need reviewing for?':
    cats = []
    if any('cpy(' in l or 'printf(' in l for l in code):
        cats.append('memory-safety')
    if any('KEY' in l or 'key' in l for l in code):
        cats.append('secrets')
    print(json.dumps({'categories': cats}))
elif first.startswith('Security review: '):
    cat = first[len('Security review: '):]
    m = re.match(r'^Unit: \S+ \((.*):(\d+)-(\d+), (\w+)\)$', rest.split('\n')[0])
    path = m.group(1)
    findings = []
    if cat == 'memory-safety':
        for l in code:
            num, _, text = l.partition('| ')
            if 'strcpy(' in text or 'snprintf(' in text:
                findings.append({'rule': 'memory-safety/unbounded-copy', 'severity': 'high', 'file': path,
                                 'startLine': int(num), 'endLine': int(num), 'evidence': text,
                                 'explanation': 'the copy is not bounded by the destination'})
    print(json.dumps({'findings': findings}))
elif first == 'Refute this finding if you can:':
    claim = json.loads(rest.split('\n')[0])
    k = int(req['label'].split(':')[1])
    if os.environ.get('SWEEP_HANG_VERIFY'):
        import time
        time.sleep(600)
    if os.environ.get('SWEEP_FAIL_VERIFY') and k > 1:
        sys.exit('verifier %d: provider unavailable' % k)
    if 'snprintf' in claim['evidence']:
        print(json.dumps({'verdict': 'refuted', 'reason': 'snprintf is bounded by its size argument'}))
    else:
        print(json.dumps({'verdict': 'confirmed', 'reason': 'the source may be longer than the buffer'}))
else:
    sys.exit('unknown prompt: ' + first)
