package dev.nrpm.cli;

import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.eval.RobustnessCurve;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * --spark, --shards, --shard-dir: the door to dev.nrpm.spark, which only loads when used, so that
 * the lean jar runs without Spark's jars and says what to do when they are missing.
 */
final class Distributed {
    private static final Pattern LOCAL = Pattern.compile("local\\[(\\d+|\\*)(,\\d+)?\\]|local");

    private Distributed() {
    }

    static void check(String master, Integer shards, Path shardDir) {
        if (master == null) {
            if (shards != null || shardDir != null) {
                throw new InvalidSettingException((shards != null ? "--shards" : "--shard-dir") + " has no effect without --spark");
            }
            return;
        }
        if (master.isBlank()) {
            throw new InvalidSettingException("--spark needs a master URL (local[2], spark://host:7077, yarn, k8s://...)");
        }
        if (shards != null && shards < 1) {
            throw new InvalidSettingException("--shards must be >= 1, got " + shards);
        }
        try {
            Class.forName("org.apache.spark.SparkConf", false, Distributed.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new InvalidSettingException("--spark needs Apache Spark on the class path: submit the jar with"
                    + " spark-submit, as README.md says (the jar alone runs locally, without --spark)");
        }
    }

    /** Default shards: 4 per local core (they balance the uneven cost of samples), else 64. */
    static int shards(String master, Integer shards) {
        if (shards != null) {
            return shards;
        }
        Matcher m = LOCAL.matcher(master);
        if (m.matches()) {
            String cores = m.group(1);
            int c = cores == null ? 1 : cores.equals("*") ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(cores);
            return 4 * Math.max(1, c);
        }
        return 64;
    }

    static java.util.List<RobustnessCurve> evaluateAll(String master, Integer shards, java.util.List<EvalSetup> setups,
                                                       PrintWriter out) {
        try {
            return dev.nrpm.spark.SparkEvaluator.evaluateAll(master, shards(master, shards), setups, out);
        } catch (NoClassDefFoundError e) {
            throw new InvalidSettingException("--spark needs Apache Spark on the class path (" + e.getMessage()
                    + " is missing): submit the jar with spark-submit, as README.md says");
        }
    }

    static RobustnessCurve evaluate(String master, Integer shards, Path shardDir, EvalSetup setup, PrintWriter out) {
        try {
            return dev.nrpm.spark.SparkEvaluator.evaluate(master, shards(master, shards), setup, shardDir,
                    setup.fingerprint(), out);
        } catch (NoClassDefFoundError e) {
            throw new InvalidSettingException("--spark needs Apache Spark on the class path (" + e.getMessage()
                    + " is missing): submit the jar with spark-submit, as README.md says");
        }
    }
}
