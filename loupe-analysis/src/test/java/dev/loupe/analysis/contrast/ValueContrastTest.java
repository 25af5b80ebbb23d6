package dev.loupe.analysis.contrast;

import dev.loupe.LoupeException;
import dev.loupe.model.Activations;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.matmul.Matmul;
import dev.loupe.tokens.CharTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The contrast against an independent computation from the model's activations (its fused qkv
 * projection) and weights (float32 matmuls). Tolerance 1e-4 relative: float32 sums of ≤ 16 order-1 terms.
 */
class ValueContrastTest {
    static final int[] A = {1, 4, 2, 5, 3}, B = {6, 3, 0, 0};
    static final int POS_A = 4, POS_B = 1;   // token 3 in both

    static Gpt model(GptConfig.Norm norm, boolean tied) {
        GptConfig c = new GptConfig(9, 16, 8, 2, 2, 16, 1e-5f, tied, norm, GptConfig.Mlp.GELU, GptConfig.Positional.LEARNED);
        Gpt gpt = Gpt.create(c, 11);
        long s = 500;
        for (Map.Entry<String, Tensor> e : gpt.parameters().entrySet()) {
            float[] d = e.getValue().contiguousData(), r = Tensor.randn(++s, 0.5f, e.getValue().shape()).contiguousData();
            boolean gain = e.getKey().contains("ln_") && e.getKey().endsWith("weight");
            for (int i = 0; i < d.length; i++) d[i] = (gain ? 1f : 0f) + r[i];
        }
        return gpt;
    }

    @ParameterizedTest
    @EnumSource(GptConfig.Norm.class)
    void valuesOvOutputsPushesAndResidualCosinesMatchTheModel(GptConfig.Norm norm) {
        Gpt gpt = model(norm, norm == GptConfig.Norm.PRE);
        ValueContrast vc = ValueContrast.compute(gpt, A, POS_A, B, POS_B, 3, true);
        int d = gpt.config().dModel(), dk = gpt.config().dHead();
        Tensor vA = vRows(gpt, A, POS_A), vB = vRows(gpt, B, POS_B);   // [layers, d] from the fused projection
        Tensor[] resA = residuals(gpt, A, POS_A), resB = residuals(gpt, B, POS_B);
        assertThat(vc.heads()).hasSize(gpt.config().nLayer() * gpt.config().nHead());
        for (ValueContrast.Head h : vc.heads()) {
            for (int j = 0; j < dk; j++) {
                assertThat(h.valueA()[j]).isCloseTo(vA.get(h.layer(), h.head() * dk + j), within(1e-4));
                assertThat(h.valueB()[j]).isCloseTo(vB.get(h.layer(), h.head() * dk + j), within(1e-4));
            }
            Tensor ovA = Matmul.matmul(vA.select(0, h.layer()).slice(0, h.head() * dk, (h.head() + 1) * dk).contiguous().reshape(1, dk),
                    false, gpt.blocks[h.layer()].attn.wO(h.head()).contiguous(), false);
            for (int j = 0; j < d; j++) assertThat(h.ovA()[j]).isCloseTo(ovA.get(0, j), within(1e-4));
            assertThat(h.ovCosine()).isCloseTo(cos(h.ovA(), h.ovB()), within(1e-12)).isBetween(-1.0, 1.0);

            // pushes: γ_f ⊙ (OV − mean) times W_Uᵀ, by float32 matmul (no LayerNorm: OV·W_Uᵀ as it is)
            float mean = 0;
            for (int j = 0; j < d; j++) mean += (float) h.ovA()[j] / d;
            Tensor u = Tensor.zeros(1, d);
            for (int j = 0; j < d; j++) {
                u.set(gpt.lnFinal == null ? (float) h.ovA()[j] : gpt.lnFinal.weight.get(j) * ((float) h.ovA()[j] - mean), 0, j);
            }
            Tensor z = Matmul.matmul(u, false, gpt.unembedding.weight, true);   // [1, V]
            int best = 0, worst = 0;
            for (int j = 1; j < z.dim(1); j++) {
                if (z.get(0, j) > z.get(0, best)) best = j;
                if (z.get(0, j) < z.get(0, worst)) worst = j;
            }
            assertThat(h.upA().getFirst().token()).isEqualTo(best);
            assertThat(h.downA().getFirst().token()).isEqualTo(worst);
            assertThat(h.upA().getFirst().logit()).isCloseTo(z.get(0, best), within(1e-4));
            assertThat(h.upA()).hasSize(3);
            assertThat(h.upA().get(0).logit()).isGreaterThanOrEqualTo(h.upA().get(2).logit());
        }
        for (int l = 0; l < resA.length; l++) {
            assertThat(vc.residualCosines()[l]).isCloseTo(cos(toDouble(resA[l]), toDouble(resB[l])), within(1e-6));
        }
    }

    @Test
    void identicalContextsHaveCosineOne() {
        Gpt gpt = model(GptConfig.Norm.PRE, true);
        ValueContrast vc = ValueContrast.compute(gpt, A, POS_A, A.clone(), POS_A, 2, false);
        for (ValueContrast.Head h : vc.heads()) {
            assertThat(h.valueCosine()).isCloseTo(1.0, within(1e-9));
            assertThat(h.ovCosine()).isCloseTo(1.0, within(1e-9));
            assertThat(h.upA()).isEqualTo(h.upB());
        }
        for (double c : vc.residualCosines()) assertThat(c).isCloseTo(1.0, within(1e-9));
        // the same token at another position differs already in the embedding (learned positions)
        ValueContrast moved = ValueContrast.compute(gpt, A, POS_A, B, POS_B, 2, false);
        assertThat(moved.residualCosines()[0]).isLessThan(0.999);
    }

    @Test
    void locatorFindsTheLastOccurrenceAndExplainsMultiTokenWords() {
        CharTokenizer tok = CharTokenizer.fromCorpus("abcdefgh ");
        TokenLocator.Located one = TokenLocator.find(tok, "c", "abcabc", "context A");
        assertThat(one.position()).isEqualTo(5);
        assertThat(one.note()).isEmpty();
        TokenLocator.Located two = TokenLocator.find(tok, "bc", "a bc d", "context A");
        assertThat(two.position()).isEqualTo(3);
        assertThat(two.note()).contains("'bc' is 2 tokens", "using the last, 'c'");
        assertThatThrownBy(() -> TokenLocator.find(tok, "h", "abc", "context B"))
                .isInstanceOf(LoupeException.class)
                .hasMessageContaining("context B \"abc\" does not contain 'h'").hasMessageContaining("a | b | c");
    }

    /** The v columns of the model's own fused q|k|v activation at pos, one row per layer. */
    private static Tensor vRows(Gpt gpt, int[] ids, int pos) {
        Activations a = gpt.forward(ids, 1, ids.length);
        int d = gpt.config().dModel(), n = gpt.config().nLayer();
        Tensor out = Tensor.zeros(n, d);
        for (int l = 0; l < n; l++) a.blocks[l].qkv.select(0, pos).slice(0, 2 * d, 3 * d).copyInto(out.select(0, l));
        return out;
    }

    private static Tensor[] residuals(Gpt gpt, int[] ids, int pos) {
        Activations a = gpt.forward(ids, 1, ids.length);
        Tensor[] r = new Tensor[gpt.config().nLayer() + 1];
        for (int l = 0; l < r.length; l++) r[l] = a.residual.pre(l).select(0, pos).copy();
        return r;
    }

    private static double[] toDouble(Tensor t) {
        float[] f = t.contiguous().toArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    private static double cos(double[] a, double[] b) {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += a[i] * b[i];
            aa += a[i] * a[i];
            bb += b[i] * b[i];
        }
        return ab / Math.sqrt(aa * bb);
    }
}
