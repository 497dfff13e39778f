/**
 * Distributed evaluation on Apache Spark: shards of one evaluation run as Spark tasks and merge
 * into exactly the local result. Spark's jars are not in the lean jar: this package loads only when
 * a command is given --spark, under spark-submit (or with Spark on the class path).
 */
package dev.nrpm.spark;
