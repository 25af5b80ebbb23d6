package dev.loupe.spark;

import dev.loupe.LoupeException;
import dev.loupe.model.Gpt;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.train.Evaluator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code spark eval} in local[2] against {@link Evaluator} (what {@code loupe eval} calls) on the
 * same file: the same double, since the batches and the order of their sum are the same.
 */
class EvalJobTest extends LocalSpark {
    @Test
    void equalsTheSingleMachineEvaluation(@TempDir Path tmp) throws Exception {
        Path model = Fixtures.model(tmp.resolve("model"));
        int[] a = Fixtures.tokenFile(tmp.resolve("a.bin"), 700, 1);
        int[] b = Fixtures.tokenFile(tmp.resolve("b.bin"), 333, 2);
        Gpt gpt = Gpt.fromWeights(Fixtures.CONFIG, ModelDirectory.read(model).weights());

        EvalJob.Result one = EvalJob.run(spark, new EvalJob.Settings(model, List.of(tmp.resolve("a.bin")), 16, 3, 0),
                tmp.resolve("out1"), FaultInjection.NONE);
        Evaluator.Result single = Evaluator.evaluate(gpt, List.of(a), 3, 16, 0);
        assertThat(one.loss()).isEqualTo(single.loss());
        assertThat(one.tokens()).isEqualTo(single.tokens());

        EvalJob.Result capped = EvalJob.run(spark, new EvalJob.Settings(model, List.of(tmp.resolve("a.bin")), 16, 4, 10),
                tmp.resolve("out2"), FaultInjection.NONE);
        assertThat(capped.loss()).isEqualTo(Evaluator.evaluate(gpt, List.of(a), 4, 16, 10).loss());
        assertThat(capped.tokens()).isEqualTo(160);

        EvalJob.Result two = EvalJob.run(spark, new EvalJob.Settings(model, List.of(tmp.resolve("a.bin"), tmp.resolve("b.bin")), 16, 3, 0),
                tmp.resolve("out3"), FaultInjection.NONE);
        assertThat(two.shards()).hasSize(2);
        assertThat(two.shards().get(0).loss()).isEqualTo(single.loss());
        assertThat(two.shards().get(1).loss()).isEqualTo(Evaluator.evaluate(gpt, List.of(b), 3, 16, 0).loss());
        double total = (two.shards().get(0).loss() * two.shards().get(0).tokens() + two.shards().get(1).loss() * two.shards().get(1).tokens())
                / two.tokens();
        assertThat(two.loss()).isCloseTo(total, org.assertj.core.api.Assertions.within(1e-12));

        assertThat(spark.read().parquet(tmp.resolve("out3/eval.parquet").toString()).count()).isEqualTo(2);
        String summary = Files.readString(tmp.resolve("out3/summary.json"));
        assertThat(summary).contains("\"loss\" : " + two.loss()).contains("b.bin");
    }

    @Test
    void textIsTokenizedOnTheExecutorsAsLoupeEvalTokenizesIt(@TempDir Path tmp) throws Exception {
        Path model = Fixtures.model(tmp.resolve("model"));
        StringBuilder sb = new StringBuilder();
        java.util.Random r = new java.util.Random(9);
        for (int i = 0; i < 900; i++) sb.append("abcdefghij klmnopq\n".charAt(r.nextInt(19)));
        String text = sb.toString();
        dev.loupe.tokens.CharTokenizer tok = dev.loupe.tokens.CharTokenizer.fromCorpus(text);
        dev.loupe.tokens.Tokenizers.save(tok, model);
        Path file = Files.writeString(tmp.resolve("corpus.txt"), text);
        Files.writeString(tmp.resolve("empty.txt"), "");
        Gpt gpt = Gpt.fromWeights(Fixtures.CONFIG, ModelDirectory.read(model).weights());
        EvalJob.Result res = EvalJob.run(spark, new EvalJob.Settings(model, List.of(file), 16, 4, 0), tmp.resolve("out"), FaultInjection.NONE);
        assertThat(res.loss()).isEqualTo(Evaluator.evaluate(gpt, List.of(tok.encode(text)), 4, 16, 0).loss());
        assertThat(res.shards().getFirst().shard()).isEqualTo(file.toString());
        try (var files = Files.list(tmp.resolve("out"))) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("eval.parquet", "summary.json");
        }
        assertThatThrownBy(() -> EvalJob.run(spark, new EvalJob.Settings(model, List.of(file, tmp.resolve("empty.txt")), 16, 4, 0),
                tmp.resolve("out2"), FaultInjection.NONE)).hasMessageContaining("empty.txt").hasMessageContaining("empty");
        assertThat(tmp.resolve("out2")).doesNotExist();
    }

    @Test
    void aTaskThatFailsOnceIsRetriedWithTheSameResult(@TempDir Path tmp) {
        Path model = Fixtures.model(tmp.resolve("model"));
        Fixtures.tokenFile(tmp.resolve("a.bin"), 900, 3);
        EvalJob.Settings s = new EvalJob.Settings(model, List.of(tmp.resolve("a.bin")), 16, 2, 0);
        EvalJob.Result clean = EvalJob.run(spark, s, tmp.resolve("clean"), FaultInjection.NONE);
        EvalJob.Result retried = EvalJob.run(spark, s, tmp.resolve("retried"), new FaultInjection(1));
        assertThat(retried).isEqualTo(clean);
    }

    @Test
    void badInputFailsNamingItAndLeavesNoOutput(@TempDir Path tmp) throws Exception {
        Path model = Fixtures.model(tmp.resolve("model"));
        Files.write(tmp.resolve("empty.bin"), new byte[0]);
        Files.write(tmp.resolve("odd.bin"), new byte[] {1, 2, 3});
        Fixtures.tokenFile(tmp.resolve("short.bin"), 10, 4);
        assertThatThrownBy(() -> EvalJob.run(spark, new EvalJob.Settings(model, List.of(tmp.resolve("empty.bin")), 16, 2, 0),
                tmp.resolve("o1"), FaultInjection.NONE)).isInstanceOf(LoupeException.class).hasMessageContaining("empty.bin").hasMessageContaining("empty");
        assertThatThrownBy(() -> EvalJob.run(spark, new EvalJob.Settings(model, List.of(tmp.resolve("odd.bin")), 16, 2, 0),
                tmp.resolve("o2"), FaultInjection.NONE)).hasMessageContaining("odd.bin").hasMessageContaining("odd length");
        assertThatThrownBy(() -> EvalJob.run(spark, new EvalJob.Settings(model, List.of(tmp.resolve("short.bin")), 16, 2, 0),
                tmp.resolve("o3"), FaultInjection.NONE)).hasMessageContaining("no window");
        assertThatThrownBy(() -> EvalJob.run(spark, new EvalJob.Settings(tmp.resolve("nope"), List.of(tmp.resolve("short.bin")), 16, 2, 0),
                tmp.resolve("o4"), FaultInjection.NONE)).hasMessageContaining("nope");
        try (var files = Files.list(tmp)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.matches("\\.?o[0-9].*"));
        }
    }
}
