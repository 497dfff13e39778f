#!/bin/bash
# issue 13: CpuNrpmBench before (ec9a148) and after (8e9ccf2), interleaved, same idle machine.
# The jars: git worktree add /tmp/before ec9a148 && (cd /tmp/before && ./mvnw -q package -DskipTests);
# the after jar likewise at 8e9ccf2, copied to /tmp/after-13.jar.
cd /work/main
L=dense:128:784:256,dense:128:64:10,conv:128:3:32:32:8:3:1:1,conv:128:8:32:32:16:3:2:1
for round in 1 2; do
for jar in /tmp/before/target/nrpm.jar /tmp/after-13.jar; do
  name=$(basename $(dirname $(dirname $jar)))
  [ $jar = /tmp/after-13.jar ] && name=after
  java -cp "$jar:target/lib/*" org.openjdk.jmh.Main 'CpuNrpmBench.(lpm|lpmForwardBackward|nrpmFused|nrpmFusedForwardBackward)$' -p layer=$L -p k=1 -wi 2 -w 1 -i 3 -r 1 -f 1 -rf json -rff /tmp/jmh13-$name-$round.json > /tmp/jmh13-$name-$round.txt 2>&1
done; done
echo finished
