package dev.loupe.spark;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Base of the job tests: one embedded session per test class, local[2, 2] (two cores; a failed task
 * is retried once, which plain local[N] never does).
 */
abstract class LocalSpark {
    static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = Fixtures.local(2);
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }
}
