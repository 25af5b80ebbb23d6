package dev.loupe.analysis.interventions;

import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.Pretrained;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tensor.Tensor;
import dev.loupe.tokens.CharTokenizer;
import dev.loupe.tokens.Tokenizers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The worked example of docs/library.md, the Java equivalent of TransformerLens's
 * <pre>
 *   model = HookedTransformer.from_pretrained(name)
 *   tokens = model.to_tokens(text, prepend_bos=False)
 *   logits, cache = model.run_with_cache(tokens)
 *   pattern = cache["pattern", 1]
 *   clean = model(tokens, return_type="loss")
 *   def ablate(z, hook): z[:, :, 0] = 0; return z
 *   ablated = model.run_with_hooks(tokens, return_type="loss", fwd_hooks=[("blocks.1.attn.hook_z", ablate)])
 *   print(ablated - clean)
 * </pre>
 * run on a tiny model (the snippet between the markers is copied into the docs as is: 7 lines).
 */
class LibrarySnippetTest {
    @TempDir
    Path tmp;

    @Test
    void loadRunWithCacheAblateAHeadLossChange() {
        CharTokenizer tok = CharTokenizer.fromCorpus("abcdefgh");
        GptConfig c = new GptConfig(tok.vocabSize(), 16, 16, 2, 2, 32, 1e-5f, true, GptConfig.Norm.PRE,
                GptConfig.Mlp.GELU, GptConfig.Positional.LEARNED);
        Gpt made = Gpt.create(c, 9);
        for (Tensor t : made.parameters().values()) for (int i = 0; i < t.size(); i++) t.contiguousData()[i] *= 10;
        String dir = tmp.resolve("model").toString();
        ModelDirectory.write(Path.of(dir), c, made.parameters());
        Tokenizers.save(tok, Path.of(dir));

        // --- snippet (docs/library.md) ---
        var m = Gpt.load(dir);
        int[] ids = m.encode("abcdabcd");
        var run = m.model().runWithCache(ids);
        Tensor pattern = run.cache().get("pattern", 1);
        double clean = m.model().loss(ids);
        double ablated = Intervention.loss(m.model(), ids, List.of(Ablation.zeroHead(1, 0)));
        System.out.printf("loss %.4f → %.4f with L1H0 ablated%n", clean, ablated);
        // --- end of snippet ---

        assertThat(m).isInstanceOf(Pretrained.class);
        assertThat(pattern.shape()).containsExactly(1, 2, 8, 8);
        assertThat(pattern).isSameAs(run.cache().get("blocks.1.attn.hook_pattern"));
        assertThat(run.cache().get("resid_post", 0)).isSameAs(run.cache().get("blocks.0.hook_resid_post"));
        assertThat(run.cache().get("post", 1)).isSameAs(run.cache().get("blocks.1.mlp.hook_post"));
        assertThat(clean).isCloseTo(m.loss("abcdabcd"), within(1e-12));
        assertThat(clean).isCloseTo(Metrics.loss(ids).applyAsDouble(run.logits()), within(1e-5));
        // direct recomputation: the head's slice of z zeroed is its W_O rows zeroed (c_proj.weight rows h·d_head …)
        Gpt zeroed = Gpt.fromWeights(c, copy(made));
        Tensor wo = zeroed.parameters().get("h.1.attn.c_proj.weight"); // [d_model (in: heads × d_head), d_model]
        for (int r = 0; r < c.dHead(); r++) for (int j = 0; j < c.dModel(); j++) wo.set(0f, r, j);
        assertThat(ablated).isCloseTo(zeroed.loss(ids), within(1e-5)).isNotCloseTo(clean, within(1e-4));
    }

    private static java.util.Map<String, Tensor> copy(Gpt g) {
        java.util.Map<String, Tensor> out = new java.util.LinkedHashMap<>();
        g.parameters().forEach((k, v) -> out.put(k, v.copy()));
        return out;
    }
}
