package dev.loupe.sae;

import dev.loupe.LoupeException;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.Hook;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Harvesting stops at the hooked block, equals a full run's cache, and batches are reproducible. */
class ActivationStoreTest {
    static final GptConfig C = GptConfig.gpt2(29, 12, 16, 3, 2);
    static final Gpt MODEL = Gpt.create(C, 5);

    static int[] tokens(int n) {
        SplittableRandom r = new SplittableRandom(1);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(29);
        return t;
    }

    @Test
    void harvestEqualsTheFullForwardCacheAndStopsAtTheHookedBlock() {
        int[] ids = tokens(3 * 8);
        for (SaeHookPoint hp : SaeHookPoint.all(C)) {
            Tensor harvested = ActivationStore.harvest(MODEL, hp, ids, 3, 8, 3); // same batch as the full run: same GEMM blocking, same bits
            Tensor full = MODEL.runWithCache(ids, 3, 8, hp.name()::equals).cache().get(hp.name()).reshape(24, hp.width());
            assertThat(harvested.maxAbsDiff(full)).as(hp.name()).isZero();
        }
        List<String> fired = new ArrayList<>();
        try (var h = MODEL.hooks().add(n -> true, Hook.reader((a, n) -> fired.add(n)))) {
            ActivationStore.harvest(MODEL, SaeHookPoint.resolve(C, "blocks.1.hook_resid_post"), ids, 3, 8, 3);
        }
        assertThat(fired).contains("blocks.1.hook_resid_post").noneMatch(n -> n.startsWith("blocks.2") || n.startsWith("ln_final"));
    }

    @Test
    void batchesAreShuffledReproducibleAndResumable() {
        int[] data = tokens(400);
        var settings = new ActivationStore.Settings(8, 4, 16, 5, 42);
        SaeHookPoint hp = SaeHookPoint.resolve(C, "blocks.0.hook_resid_post");
        ActivationStore a = new ActivationStore(MODEL, hp, data, settings);
        List<Tensor> first = new ArrayList<>();
        for (int i = 0; i < 13; i++) first.add(a.next().copy());
        ActivationStore b = new ActivationStore(MODEL, hp, data, settings);
        b.skipTo(7);
        for (int i = 7; i < 13; i++) assertThat(b.next().maxAbsDiff(first.get(i))).as("batch " + i).isZero();
        // a buffer holds the rows of consecutive windows, shuffled: not in stream order
        Tensor ordered = ActivationStore.harvest(MODEL, hp, java.util.Arrays.copyOf(data, 80), 10, 8, 4);
        assertThat(first.get(0).maxAbsDiff(ordered.slice(0, 0, 16))).isGreaterThan(0f);
        Set<Float> rowsOfBuffer = new HashSet<>(), rowsOfWindows = new HashSet<>();
        for (int i = 0; i < 5; i++) for (int r = 0; r < 16; r++) rowsOfBuffer.add(first.get(i).get(r, 3));
        for (int r = 0; r < 80; r++) rowsOfWindows.add(ordered.get(r, 3));
        assertThat(rowsOfWindows).containsAll(rowsOfBuffer);
    }

    @Test
    void normalisationScalesToMeanNormSqrtDIn() {
        ActivationStore s = new ActivationStore(MODEL, SaeHookPoint.resolve(C, "blocks.2.hook_resid_post"), tokens(400),
                new ActivationStore.Settings(8, 4, 16, 5, 42));
        s.estimateNormScale();
        Tensor rows = s.firstRows();
        double mean = 0;
        for (int r = 0; r < rows.dim(0); r++) {
            double n = 0;
            for (int i = 0; i < 16; i++) n += rows.get(r, i) * rows.get(r, i) * s.scale() * s.scale();
            mean += Math.sqrt(n) / rows.dim(0);
        }
        assertThat(mean).isCloseTo(4.0, org.assertj.core.api.Assertions.within(1e-4));
    }

    @Test
    void badHooksAndDataAreRefused() {
        assertThatThrownBy(() -> SaeHookPoint.resolve(C, "blocks.7.hook_resid_post")).isInstanceOf(LoupeException.class)
                .hasMessageContaining("valid: blocks.{0..2}.{hook_resid_pre");
        assertThatThrownBy(() -> SaeHookPoint.resolve(C, "blocks.0.attn.hook_pattern")).isInstanceOf(LoupeException.class);
        SaeHookPoint hp = SaeHookPoint.resolve(C, "blocks.0.mlp.hook_post");
        assertThat(hp.width()).isEqualTo(64);
        assertThatThrownBy(() -> new ActivationStore(MODEL, hp, tokens(5), new ActivationStore.Settings(8, 1, 4, 1, 0)))
                .isInstanceOf(LoupeException.class).hasMessageContaining("fewer than one context window");
        assertThatThrownBy(() -> new ActivationStore(MODEL, hp, tokens(50), new ActivationStore.Settings(13, 1, 4, 1, 0)))
                .isInstanceOf(LoupeException.class).hasMessageContaining("exceeds the model's context");
        SparseAutoencoder wrongWidth = SaeFixtures.random(Architecture.STANDARD, 16, 8, 0, 1)
                .withMetadata(SaeMetadata.of("m", "blocks.0.mlp.hook_post"));
        assertThatThrownBy(() -> SaeHookPoint.forSae(C, wrongWidth)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("d_in is 16").hasMessageContaining("64 wide");
        SparseAutoencoder perHead = wrongWidth.withMetadata(new SaeMetadata("m", "blocks.0.attn.hook_z", 1, null, null, null, null));
        assertThatThrownBy(() -> SaeHookPoint.forSae(C, perHead)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("per-head SAEs are not supported");
        SparseAutoencoder wrongModel = wrongWidth.withMetadata(SaeMetadata.of("m", "blocks.9.hook_resid_post"));
        assertThatThrownBy(() -> SaeHookPoint.forSae(C, wrongModel)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("does not have");
    }
}
