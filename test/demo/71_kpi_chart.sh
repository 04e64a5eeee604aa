#!/usr/bin/env bash
# Demo chapter 71 (charts for chapter 70): MTTR by priority with SLA compliance,
# and the monthly flow of incidents, drawn with gnuplot into $IMS_DEMO_OUT as PNG.
set -uo pipefail
out=${IMS_DEMO_OUT:-.}
command -v gnuplot >/dev/null || { echo "gnuplot is not installed; skipping the KPI charts"; exit 0; }
for f in kpi_by_priority.dat kpi_by_month.dat; do
  [ -s "$out/$f" ] || { echo "no $out/$f (chapter 70 writes it); skipping the KPI charts" >&2; exit 1; }
done

gnuplot <<GP || { echo "gnuplot failed" >&2; exit 1; }
set terminal pngcairo size 1000,560 font "DejaVu Sans,11"
set output "$out/kpi_mttr_sla.png"
set title "Real ServiceNow event log (24,918 incidents): MTTR and SLA compliance by priority" font ",13"
set style data histograms
set style fill solid 0.85 border -1
set boxwidth 0.6
set xlabel "priority (1 = critical)"
set ylabel "MTTR (hours)"
set y2label "SLA compliance (%)"
set yrange [0:*]
set offsets 0, 0, graph 0.1, 0
set y2range [0:100]
set ytics nomirror
set y2tics 0,10,100
set grid ytics
set key top left
plot "$out/kpi_by_priority.dat" using 2:xtic(1) title "MTTR (hours)" linecolor rgb "#2e86c1", \
     "" using (\$0):2:(sprintf("%.0f h", \$2)) with labels offset 0,0.8 notitle, \
     "" using (\$0):3 axes x1y2 with linespoints linewidth 3 pointtype 7 pointsize 1.5 linecolor rgb "#e67e22" title "SLA compliance, ims clocks (%)", \
     "" using (\$0):3:(sprintf("%.1f %%", \$3)) axes x1y2 with labels left offset 5.5,0.8 textcolor rgb "#e67e22" notitle, \
     "" using (\$0):5 axes x1y2 with linespoints linewidth 2 dashtype 2 pointtype 6 pointsize 1.2 linecolor rgb "#7f8c8d" title "source system's own SLAs, made_sla (%)" noenhanced

set output "$out/kpi_monthly.png"
set title "Incidents per month: opened, resolved, backlog at month end (left); MTTR (right)" font ",13"
unset y2range
set y2range [0:*]
set ylabel "incidents"
set y2label "MTTR (hours)"
set y2tics auto
set xlabel "month"
set xtics rotate by -45
set key top right
set offsets 0, 0, graph 0.25, 0
set style histogram clustered gap 1
plot "$out/kpi_by_month.dat" using 2:xtic(1) title "opened" linecolor rgb "#2e86c1", \
     "" using 3 title "resolved" linecolor rgb "#27ae60", \
     "" using 4 title "backlog at month end" linecolor rgb "#95a5a6", \
     "" using (\$0):5 axes x1y2 with linespoints linewidth 3 pointtype 7 linecolor rgb "#c0392b" title "MTTR (hours)"
GP
echo "wrote $out/kpi_mttr_sla.png and $out/kpi_monthly.png"
