#!/bin/bash
# Move the pending SLA stage into place (run in a checkout that has the calendar types).
set -e
cd "${1:-.}"
P=src/pending
git mv $P/sla.c src/sla.c
git mv $P/32_sla.sql src/sql/32_sla.sql
git mv $P/33_sla.sql test/pgtap/33_sla.sql
git mv $P/sla.sql sql/sla.sql
git mv $P/sla.out expected/sla.out
git mv $P/sla_notify.spec specs/sla_notify.spec
git mv $P/sla_notify.out expected/sla_notify.out
git mv $P/31_sla_tick.sql test/bench/31_sla_tick.sql
git mv $P/fixture_32_sla.sql test/data/fixture_32_sla.sql
git mv -f $P/30_incidents.sql test/demo/30_incidents.sql
python3 - <<'PY'
s=open('Makefile').read()
s=s.replace("\tsrc/incident.o \\\n","\tsrc/incident.o \\\n\tsrc/sla.o \\\n",1)
open('Makefile','w').write(s)
d=open('src/pending/doc_sla.md').read()
w=open('doc/workflows.md').read()
i=w.index("## SQLSTATEs")
w=w[:i]+d.rstrip('\n')+"\n\n"+w[i:]
w=w.replace("- [Restoring a dump](#restoring-a-dump): `ims._bulk_restore()`\n","- [Restoring a dump](#restoring-a-dump): `ims._bulk_restore()`\n- [SLA policies and clocks](#sla-policies-and-clocks): `ims.sla_policy`, `ims.incident_sla`, `ims.sla_event`, `ims.sla_tick`, `ims.sla_rebuild`\n")
open('doc/workflows.md','w').write(w)
PY
python3 - <<'PY2'
r=open('README.md').read()
add='''
## SLA clocks on a schedule

`ims.sla_tick()` records warnings and breaches of running SLA clocks (and
sends `NOTIFY ims_sla`); schedule it every minute with pg_cron in the database
named by `cron.database_name`:

```sql
SELECT cron.schedule('ims-sla-tick', '* * * * *', 'select ims.sla_tick()');
```

See [doc/workflows.md](doc/workflows.md#sla-policies-and-clocks).
'''
i=r.index('## Licence and credits')
open('README.md','w').write(r[:i]+add.lstrip('\n')+'\n'+r[i:])
PY2
git rm -q $P/doc_sla.md $P/README.md $P/activate.sh
grep -n "sla.o" Makefile
