package dev.nrpm.spark;

import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.eval.EvaluationJob;
import dev.nrpm.eval.EvaluationShard;
import dev.nrpm.eval.ProgressSink;
import dev.nrpm.eval.RobustnessCurve;
import dev.nrpm.eval.RobustnessEvaluator;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkConf;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * An evaluation split into shards that run as Spark tasks. The setup (weights, data selection,
 * options) is broadcast once; each executor thread builds its model once per job (models are not
 * shared between threads: the attacks switch layers to surrogates) on the --device backend (auto:
 * the executor's GPU where one is usable, else the CPU); shards come back to the driver, which merges them into
 * exactly what a local run of the same command computes (per-sample seeds). A task that fails is
 * retried by Spark and computes the same shard again.
 *
 * <p>With a shard folder, each finished shard is written there (a file per shard, named by the
 * job's fingerprint and its range) and a later run of the same command computes only the shards
 * that are missing; the folder must be one that every executor and the driver see.
 */
public final class SparkEvaluator {
    /** Tests only: "s" makes the first attempt of shard s fail once, to exercise Spark's retry. */
    static final String FAIL_ONCE = "nrpm.spark.failOnce";

    private static final Map<String, EvaluationJob.Prepared> PREPARED = new ConcurrentHashMap<>();

    private SparkEvaluator() {
    }

    /**
     * @param shardDir where finished shards are kept for a rerun, or null
     * @param fingerprint identifies the evaluation (command line and inputs), naming its shard files
     */
    public static RobustnessCurve evaluate(String master, int shards, EvaluationJob setup, Path shardDir, String fingerprint,
                                           PrintWriter log) {
        checkReachable(master);
        EvaluationJob.Prepared local = setup.prepare(setup.device());
        List<int[]> ranges = RobustnessEvaluator.shardRanges(local.data().size(), shards);
        List<int[]> missing = new ArrayList<>();   // {shard index, from, to}
        for (int i = 0; i < ranges.size(); i++) {
            int[] r = ranges.get(i);
            if (shardDir == null || read(shardFile(shardDir, fingerprint, r)) == null) {
                missing.add(new int[] {i, r[0], r[1]});
            }
        }
        log.println("spark: " + ranges.size() + " shards on " + master + (missing.size() < ranges.size()
                ? ", " + (ranges.size() - missing.size()) + " already done in " + shardDir : ""));
        List<EvaluationShard> computed = new ArrayList<>();
        if (!missing.isEmpty()) {
            SparkConf conf = new SparkConf().setMaster(master).setAppName("nrpm eval")
                    .setIfMissing("spark.ui.enabled", "false");
            try (JavaSparkContext sc = new JavaSparkContext(conf)) {
                Broadcast<EvaluationJob> job = sc.broadcast(setup);
                String dir = shardDir == null ? null : shardDir.toAbsolutePath().toString();
                String id = fingerprint;
                computed = sc.parallelize(missing, missing.size()).map(r -> {
                    int[] range = {r[1], r[2]};
                    EvaluationShard s = runShard(job.value(), id, r[0], range);
                    if (dir != null) {
                        write(shardFile(Path.of(dir), id, range), s);
                    }
                    return s;
                }).collect();
            } finally {
                PREPARED.keySet().removeIf(k -> k.startsWith(fingerprint + "@")); // local mode: the driver's JVM
            }
        }
        List<EvaluationShard> all = new ArrayList<>();
        for (int[] r : ranges) {
            EvaluationShard s = computed.stream().filter(c -> c.from() == r[0]).findFirst().orElse(null);
            all.add(s != null ? s : read(shardFile(shardDir, fingerprint, r)));
        }
        return RobustnessEvaluator.merge(local.label(), local.pm(), local.model(), local.backend(), local.data(),
                local.plan(), setup.budgets(), setup.options(), ProgressSink.NONE, all);
    }

    /**
     * Several evaluations (a sweep's cells) in one Spark job: every (cell, shard) pair is a task,
     * so that cells of unequal cost balance across the executors; each cell merges as
     * {@link #evaluate} does.
     */
    public static List<RobustnessCurve> evaluateAll(String master, int shards, List<? extends EvaluationJob> setups, PrintWriter log) {
        checkReachable(master);
        List<RobustnessCurve> out = new ArrayList<>();
        if (setups.isEmpty()) {
            return out;
        }
        List<EvaluationJob.Prepared> local = new ArrayList<>();
        List<int[]> tasks = new ArrayList<>();                 // {cell, shard index, from, to}
        for (int c = 0; c < setups.size(); c++) {
            EvaluationJob.Prepared p = setups.get(c).prepare(setups.get(c).device());
            local.add(p);
            List<int[]> ranges = RobustnessEvaluator.shardRanges(p.data().size(), shards);
            for (int i = 0; i < ranges.size(); i++) {
                tasks.add(new int[] {c, i, ranges.get(i)[0], ranges.get(i)[1]});
            }
        }
        log.println("spark: " + setups.size() + " evaluations as " + tasks.size() + " tasks on " + master);
        List<String> ids = new ArrayList<>();
        for (EvaluationJob s : setups) {
            ids.add(s.fingerprint());
        }
        List<EvaluationShard> shardsOut;
        SparkConf conf = new SparkConf().setMaster(master).setAppName("nrpm sweep").setIfMissing("spark.ui.enabled", "false");
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            Broadcast<List<EvaluationJob>> job = sc.broadcast(new ArrayList<>(setups));
            List<String> keys = new ArrayList<>(ids);
            shardsOut = sc.parallelize(tasks, tasks.size())
                    .map(t -> runShard(job.value().get(t[0]), keys.get(t[0]), t[1], new int[] {t[2], t[3]}))
                    .collect();
        } finally {
            for (String id : ids) {
                PREPARED.keySet().removeIf(k -> k.startsWith(id + "@"));
            }
        }
        for (int c = 0; c < setups.size(); c++) {
            List<EvaluationShard> parts = new ArrayList<>();
            for (int t = 0; t < tasks.size(); t++) {
                if (tasks.get(t)[0] == c) {
                    parts.add(shardsOut.get(t));
                }
            }
            EvaluationJob.Prepared p = local.get(c);
            out.add(RobustnessEvaluator.merge(p.label(), p.pm(), p.model(), p.backend(), p.data(), p.plan(),
                    setups.get(c).budgets(), setups.get(c).options(), ProgressSink.NONE, parts));
        }
        return out;
    }

    /** Shard number index, on this executor thread's model (built on first use for this job). */
    static EvaluationShard runShard(EvaluationJob setup, String jobId, int index, int[] range) {
        String failOnce = System.getProperty(FAIL_ONCE);
        TaskContext task = TaskContext.get();
        if (failOnce != null && task != null && task.attemptNumber() == 0 && Integer.parseInt(failOnce) == index) {
            throw new IllegalStateException("shard " + failOnce + " failing once on purpose (" + FAIL_ONCE + ")");
        }
        useAssignedGpu(task);
        String key = jobId + "@" + Thread.currentThread().getId();
        EvaluationJob.Prepared p = PREPARED.computeIfAbsent(key, k -> setup.prepare(setup.device()));
        return RobustnessEvaluator.evaluateShard(p.model(), p.backend(), p.data(), range[0], range[1], p.plan(),
                setup.budgets(), setup.options(), ProgressSink.NONE);
    }

    /**
     * Where Spark scheduled the task on a GPU (spark.task.resource.gpu.amount), the executor's CUDA
     * backend opens that GPU: set once per executor JVM, before its first model is built.
     */
    private static void useAssignedGpu(TaskContext task) {
        if (task == null || System.getProperty("nrpm.cuda.device") != null) {
            return;
        }
        var gpu = task.resourcesJMap().get("gpu");
        if (gpu != null && gpu.addresses().length > 0) {
            System.setProperty("nrpm.cuda.device", gpu.addresses()[0]);
        }
    }

    /** spark://host:port (and its lists) must answer before a context waits minutes for it. */
    static void checkReachable(String master) {
        if (!master.startsWith("spark://")) {
            return; // local[...], yarn, k8s://...: Spark checks those itself
        }
        for (String hostPort : master.substring("spark://".length()).split(",")) {
            URI u = URI.create("spark://" + hostPort);
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(u.getHost(), u.getPort() < 0 ? 7077 : u.getPort()), 3000);
                return;
            } catch (IOException | IllegalArgumentException e) {
                // try the next master of the list
            }
        }
        throw new InvalidSettingException("--spark " + master + ": no Spark master answers there");
    }

    static Path shardFile(Path dir, String fingerprint, int[] range) {
        return dir.resolve("shard-" + fingerprint + "-" + range[0] + "-" + range[1] + ".bin");
    }

    private static void write(Path file, EvaluationShard s) throws IOException {
        dev.nrpm.io.AtomicFile.write(file, out -> {
            ObjectOutputStream o = new ObjectOutputStream(out);
            o.writeObject(s);
            o.flush();
        });
    }

    /** A finished shard, or null where there is none (or it cannot be read: it is computed again). */
    private static EvaluationShard read(Path file) {
        if (file == null || !Files.isRegularFile(file)) {
            return null;
        }
        try (InputStream in = Files.newInputStream(file); ObjectInputStream o = new ObjectInputStream(in)) {
            // a shard file is data, never code: only the shard's own classes may come out of it
            o.setObjectInputFilter(java.io.ObjectInputFilter.Config.createFilter(
                    "dev.nrpm.eval.EvaluationShard;dev.nrpm.eval.AttackBreakdown;dev.nrpm.eval.AttackBreakdown$Health;"
                            + "java.util.*;java.lang.*;[I;[J;[D;[F;[Ljava.lang.Object;!*"));
            Object v = o.readObject();
            return v instanceof EvaluationShard s ? s : null;
        } catch (IOException | ClassNotFoundException | RuntimeException e) {
            return null;
        }
    }
}
