package dev.loupe.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What an activation cache holds: exactly the hook points its filter passes, each exactly as large
 * as its shape in the hook table — nothing more, no hidden copies of the rest.
 */
class CacheMemoryTest {

    /** Σ over the table's entries that pass {@code filter} of 4 bytes × the shape's product. */
    static long needed(GptConfig c, int batch, int seqLen, Predicate<String> filter) {
        long n = 0;
        for (HookPoint p : HookPoints.table(c, batch, seqLen)) {
            if (!filter.test(p.name())) continue;
            long size = 1;
            for (int d : p.shape()) size *= d;
            n += 4 * size;
        }
        return n;
    }

    @Test
    void filteringKeepsOnlyWhatIsAskedAndNoMore() {
        GptConfig c = new GptConfig(50, 32, 16, 3, 4, 64, 1e-5f, false, GptConfig.Norm.PRE, GptConfig.Mlp.GELU,
                GptConfig.Positional.LEARNED);
        Gpt gpt = Gpt.create(c, 2);
        int[] ids = new int[2 * 20];
        for (int i = 0; i < ids.length; i++) ids[i] = (7 * i) % 50;

        Predicate<String> patterns = ActivationCache.endingWith("attn.hook_pattern");
        ActivationCache only = gpt.runWithCache(ids, 2, 20, patterns).cache();
        assertThat(only.names()).containsExactly("blocks.0.attn.hook_pattern", "blocks.1.attn.hook_pattern", "blocks.2.attn.hook_pattern");
        assertThat(only.bytes()).isEqualTo(needed(c, 2, 20, patterns)).isEqualTo(3L * 2 * 4 * 20 * 20 * 4);

        Predicate<String> layer1 = n -> n.startsWith("blocks.1.") && !n.endsWith("hook_result");
        ActivationCache one = gpt.runWithCache(ids, 2, 20, layer1).cache();
        List<String> expected = HookPoints.table(c, 2, 20).stream().map(HookPoint::name).filter(layer1).toList();
        assertThat(one.names()).containsExactlyElementsOf(expected);
        assertThat(one.bytes()).isEqualTo(needed(c, 2, 20, layer1));

        ActivationCache all = gpt.runWithCache(ids, 2, 20, n -> true).cache();
        assertThat(all.names()).hasSize(HookPoints.table(c, 2, 20).size());
        assertThat(all.bytes()).isEqualTo(needed(c, 2, 20, n -> true));
    }

    /**
     * Benchmark (run with -Dloupe.bench=true): every hook of a GPT-2-small-shaped model on 1024
     * tokens. Prints the cache's bytes, what the activations need by the hook table, and the heap the
     * run really took (after GC, model weights excluded).
     */
    @Test
    @EnabledIfSystemProperty(named = "loupe.bench", matches = "true")
    void gpt2SmallEveryHookOn1024Tokens() {
        GptConfig c = GptConfig.gpt2(50257, 1024, 768, 12, 12);
        Gpt gpt = Gpt.create(c, 1);
        int[] ids = new int[1024];
        for (int i = 0; i < ids.length; i++) ids[i] = (int) ((i * 2654435761L) % 50257);
        Runtime rt = Runtime.getRuntime();
        System.gc();
        long before = rt.totalMemory() - rt.freeMemory();
        long t0 = System.nanoTime();
        Gpt.CachedRun run = gpt.runWithCache(ids, 1, 1024, n -> true);
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.gc();
        long after = rt.totalMemory() - rt.freeMemory();
        long need = needed(c, 1, 1024, n -> true), logits = 4L * 1024 * 50257;
        System.out.printf(Locale.ROOT, "GPT-2 small, 1024 tokens, every hook (%d): cache %.1f MiB, activations need %.1f MiB "
                        + "(ratio %.4f); heap retained after the run %.1f MiB (cache + logits %.1f MiB); %.1f s%n",
                run.cache().names().size(), run.cache().bytes() / 1048576.0, need / 1048576.0, (double) run.cache().bytes() / need,
                (after - before) / 1048576.0, (need + logits) / 1048576.0, seconds);
        assertThat(run.cache().bytes()).isEqualTo(need);
    }
}
