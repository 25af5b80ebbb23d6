package dev.loupe.analysis.lora;

import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.lora.LoraAdapter;
import dev.loupe.model.lora.LoraConfig;
import dev.loupe.model.lora.LoraModel;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.linalg.Svd;
import dev.loupe.tensor.matmul.Matmul;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

class AdapterReadingTest {
    static final GptConfig C = new GptConfig(17, 16, 16, 2, 2, 32, 1e-5f, true, GptConfig.Norm.PRE, GptConfig.Mlp.GELU,
            GptConfig.Positional.LEARNED);
    static final int[] PROBE = {1, 4, 9, 16, 3, 8, 2, 5};

    static LoraModel adapted(List<String> targets, long seed) {
        Gpt base = Gpt.create(C, 3);
        LoraModel m = LoraModel.create(C, base.parameters(), LoraConfig.of(3, 6, 0, targets, ""), seed);
        SplittableRandom r = new SplittableRandom(seed);
        for (LoraAdapter a : m.adapters().values()) {
            float[] d = a.b.contiguousData();
            for (int i = 0; i < d.length; i++) d[i] = (float) (0.3 * Tensor.gaussian(r));
        }
        return m;
    }

    @Test
    void moduleSpectraAreTheSingularValuesOfTheDenseUpdate() {
        LoraModel m = adapted(List.of("c_attn", "c_proj", "c_fc"), 1);
        AdapterReading.Result r = AdapterReading.read(m, PROBE, 3);
        assertThat(r.modules()).hasSize(8);
        for (AdapterReading.ModuleUpdate u : r.modules()) {
            Tensor dense = m.adapters().get(u.module()).delta();                       // [in, out]
            double[] want = Svd.singularValues(new DMatrixRMaj(dense.dim(0), dense.dim(1), true, toDouble(dense)));
            assertThat(u.singularValues()).hasSize(3);
            for (int i = 0; i < 3; i++) assertThat(u.singularValues()[i]).isCloseTo(want[i], offset(1e-5 * want[0]));
            assertThat(u.effectiveRank()).isBetween(1.0, 3.0);
        }
        assertThat(AdapterReading.effectiveRank(new double[] {2, 0, 0})).isEqualTo(1.0);
        assertThat(AdapterReading.effectiveRank(new double[] {1, 1, 1, 1})).isCloseTo(4.0, offset(1e-12));
    }

    @Test
    void headChangesAreFrobeniusNormsOfTheCircuitDifference() {
        LoraModel m = adapted(List.of("c_attn", "c_proj"), 2);
        AdapterReading.Result r = AdapterReading.read(m, PROBE, 3);
        assertThat(r.heads()).hasSize(4);
        assertThat(r.heads().get(0).ovChange()).isGreaterThanOrEqualTo(r.heads().get(3).ovChange());
        Gpt merged = Gpt.fromWeights(C, m.mergedWeights());
        for (AdapterReading.HeadChange h : r.heads()) {
            Tensor before = m.model().blocks[h.layer()].attn.wV(h.head()), after = merged.blocks[h.layer()].attn.wV(h.head());
            Tensor ov0 = Matmul.matmul(before.contiguous(), m.model().blocks[h.layer()].attn.wO(h.head()).contiguous());
            Tensor ov1 = Matmul.matmul(after.contiguous(), merged.blocks[h.layer()].attn.wO(h.head()).contiguous());
            double s = 0;
            float[] a = ov0.toArray(), b = ov1.toArray();
            for (int i = 0; i < a.length; i++) s += (double) (b[i] - a[i]) * (b[i] - a[i]);
            assertThat(h.ovChange()).isCloseTo(Math.sqrt(s), offset(1e-4 * Math.sqrt(s) + 1e-9));
            assertThat(h.qkChange()).isGreaterThan(0);
        }
        assertThat(r.heads()).anySatisfy(h -> assertThat(h.ovRelative()).isGreaterThan(1e-3));
        // an MLP-only adapter leaves every head's circuits unchanged
        AdapterReading.Result mlp = AdapterReading.read(adapted(List.of("c_fc"), 3), PROBE, 3);
        assertThat(mlp.heads()).allSatisfy(h -> {
            // zero up to the float64 cancellation of the Gram-matrix form of ‖X·Y − X·Y‖_F
            assertThat(h.ovRelative()).isLessThan(1e-6);
            assertThat(h.qkRelative()).isLessThan(1e-6);
            assertThat(h.copyingAfter()).isEqualTo(h.copyingBefore());
        });
    }

    @Test
    void tokenShiftsAreTheMeanCentredLogitChange() {
        LoraModel m = adapted(List.of("c_fc", "c_proj"), 4);
        AdapterReading.Result r = AdapterReading.read(m, PROBE, 3);
        assertThat(r.raised()).hasSize(3);
        assertThat(r.raised().get(0).change()).isGreaterThan(1e-2).isGreaterThanOrEqualTo(r.raised().get(2).change());
        assertThat(r.lowered().get(0).change()).isLessThan(-1e-2);
        Gpt plain = Gpt.fromWeights(C, m.model().parameters());            // the base weights, no adapter attached
        int tok = r.raised().get(0).token(), t = PROBE.length, v = C.vocabSize();
        float[] l0 = plain.logits(PROBE, 1, t).toArray(), l1 = m.model().logits(PROBE, 1, t).toArray();
        double want = 0;
        for (int p = 0; p < t; p++) {
            double c0 = 0, c1 = 0;
            for (int j = 0; j < v; j++) { c0 += l0[p * v + j]; c1 += l1[p * v + j]; }
            want += ((l1[p * v + tok] - c1 / v) - (l0[p * v + tok] - c0 / v)) / t;
        }
        assertThat(r.raised().get(0).change()).isCloseTo(want, offset(1e-5));
    }

    private static double[] toDouble(Tensor t) {
        float[] f = t.toArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}
