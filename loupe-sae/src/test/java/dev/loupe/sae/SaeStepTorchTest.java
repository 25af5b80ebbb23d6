package dev.loupe.sae;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loupe.model.io.Safetensors;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.io.Npy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * {@link SaeStep} (loss terms and the gradients of W_enc, b_enc, W_dec, b_dec) and the forward pass
 * against the PyTorch autograd implementation in {@code reference/torch_sae.py}, for standard,
 * topk (with and without dead latents for AuxK) and jumprelu (forward only), on the sparse path and
 * (standard) the dense GEMM path of {@link DenseStandardStep}, with b_dec applied to the input or not.
 *
 * <p>Tolerance: ‖loupe − torch‖∞ ≤ 1e-4·(‖torch‖∞ + 1e-3) per tensor. Both sides are float32 with
 * sums of ≤ 64 terms in different orders (~1e-6 relative); a wrong factor (a missing 2/N, the L1
 * term's decoder-norm gradient, AuxK's scale, b_dec through the input) is off by ≥ 1e-2.
 */
class SaeStepTorchTest {
    @TempDir Path tmp;

    @AfterEach
    void resetPath() {
        SaeStep.forceDense = null;
    }

    record Case(String name, SparseAutoencoder sae, Tensor x, boolean[] dead, boolean dense, double l1, double aux) {}

    @Test
    void lossAndGradientsEqualPyTorch() throws Exception {
        TorchSae.assumeAvailable();
        List<Case> cases = new ArrayList<>();
        for (boolean dense : new boolean[] {false, true}) {
            cases.add(new Case("standard", SaeFixtures.random(Architecture.STANDARD, 12, 40, 0, 1), Tensor.randn(2, 1f, 9, 12), null, dense, 0.7, 0));
        }
        cases.add(new Case("topk", SaeFixtures.random(Architecture.TOPK, 12, 40, 5, 3), Tensor.randn(4, 1f, 9, 12), null, false, 0, 0));
        boolean[] few = new boolean[40];
        few[3] = few[17] = few[30] = true;
        cases.add(new Case("topk-few-dead", SaeFixtures.random(Architecture.TOPK, 12, 40, 5, 5), Tensor.randn(6, 1f, 9, 12), few, false, 0, 1.0 / 32));
        boolean[] many = new boolean[40];
        for (int j = 0; j < 40; j += 2) many[j] = true;
        cases.add(new Case("topk-many-dead", SaeFixtures.random(Architecture.TOPK, 12, 40, 5, 7), Tensor.randn(8, 1f, 9, 12), many, false, 0, 0.5));
        SparseAutoencoder s = SaeFixtures.random(Architecture.STANDARD, 12, 40, 0, 9);
        SaeConfig c = s.config();
        SparseAutoencoder raw = SparseAutoencoder.of(new SaeConfig(c.architecture(), 12, 40, 0, false, "none", "none", "float32", "cpu", c.metadata()),
                s.wEnc(), s.bEnc(), s.wDec(), s.bDec(), null);
        cases.add(new Case("standard-no-bdec-in", raw, Tensor.randn(10, 1f, 9, 12), null, false, 0.3, 0));
        cases.add(new Case("standard-no-bdec-in", raw, Tensor.randn(10, 1f, 9, 12), null, true, 0.3, 0));

        List<List<String>> jobs = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            Case k = cases.get(i);
            Path dir = tmp.resolve("c" + i);
            SaeFiles.save(k.sae, dir, null);
            Npy.write(dir.resolve("x.npy"), k.x);
            List<String> job = new ArrayList<>(List.of("grads", "--sae", dir.toString(), "--x", dir.resolve("x.npy").toString(),
                    "--l1", "" + k.l1, "--aux", "" + k.aux, "--out", dir.resolve("g.safetensors").toString()));
            if (k.dead != null) {
                float[] d = new float[k.dead.length];
                for (int j = 0; j < d.length; j++) d[j] = k.dead[j] ? 1 : 0;
                Npy.write(dir.resolve("dead.npy"), Tensor.of(d, d.length));
                job.addAll(List.of("--dead", dir.resolve("dead.npy").toString()));
            }
            jobs.add(job);
        }
        List<JsonNode> results = TorchSae.jobs(jobs, tmp);
        for (int i = 0; i < cases.size(); i++) {
            Case k = cases.get(i);
            SaeStep.forceDense = k.dense;
            Map<String, Tensor> grads = zeroGrads(k.sae);
            SaeLoss loss = SaeStep.run(k.sae, k.x, new SaeStep.Coefficients(k.l1, k.aux), k.dead, grads, null);
            JsonNode r = results.get(i);
            String label = k.name + (k.dense ? " dense" : " sparse");
            assertThat(loss.mse()).as(label + " mse").isCloseTo(r.get("mse").asDouble(), within(1e-4 * r.get("mse").asDouble()));
            assertThat(loss.l1()).as(label + " l1").isCloseTo(r.get("l1").asDouble(), within(1e-4 * r.get("l1").asDouble() + 1e-7));
            assertThat(loss.aux()).as(label + " aux").isCloseTo(r.get("aux").asDouble(), within(1e-4 * r.get("aux").asDouble() + 1e-7));
            assertThat(loss.l0()).as(label + " l0").isCloseTo(r.get("l0").asDouble(), within(1e-5));
            if (k.dead != null) assertThat(loss.aux()).as(label + " aux is exercised").isGreaterThan(0);
            Map<String, Tensor> torch = Safetensors.read(tmp.resolve("c" + i).resolve("g.safetensors"));
            for (String name : List.of("W_enc", "b_enc", "W_dec", "b_dec")) {
                Tensor want = torch.get(name);
                float scale = want.maxAbsDiff(Tensor.zeros(want.shape()));
                assertThat(grads.get(name).maxAbsDiff(want)).as(label + " d" + name).isLessThanOrEqualTo(1e-4f * (scale + 1e-3f));
            }
        }
    }

    @Test
    void forwardOfEveryArchitectureEqualsPyTorch() throws Exception {
        TorchSae.assumeAvailable();
        List<SparseAutoencoder> saes = List.of(SaeFixtures.random(Architecture.STANDARD, 10, 30, 0, 1),
                SaeFixtures.random(Architecture.TOPK, 10, 30, 4, 2), SaeFixtures.random(Architecture.JUMPRELU, 10, 30, 0, 3));
        Tensor x = Tensor.randn(42, 1f, 16, 10);
        List<List<String>> jobs = new ArrayList<>();
        for (int i = 0; i < saes.size(); i++) {
            Path dir = tmp.resolve("f" + i);
            SaeFiles.save(saes.get(i), dir, new float[30]);
            Npy.write(dir.resolve("x.npy"), x);
            jobs.add(List.of("forward", "--sae", dir.toString(), "--x", dir.resolve("x.npy").toString(), "--out", dir.resolve("out").toString()));
        }
        TorchSae.jobs(jobs, tmp);
        for (int i = 0; i < saes.size(); i++) {
            Path dir = tmp.resolve("f" + i);
            SparseAutoencoder.Forward fw = saes.get(i).run(x);
            assertThat(fw.acts().maxAbsDiff(Npy.read(dir.resolve("out.acts.npy")))).as(saes.get(i).architecture() + " acts").isLessThan(1e-5f);
            assertThat(fw.recons().maxAbsDiff(Npy.read(dir.resolve("out.recons.npy")))).as(saes.get(i).architecture() + " recons").isLessThan(1e-5f);
        }
    }

    static Map<String, Tensor> zeroGrads(SparseAutoencoder sae) {
        Map<String, Tensor> g = new LinkedHashMap<>();
        g.put("W_enc", Tensor.zeros(sae.wEnc().shape()));
        g.put("b_enc", Tensor.zeros(sae.bEnc().shape()));
        g.put("W_dec", Tensor.zeros(sae.wDec().shape()));
        g.put("b_dec", Tensor.zeros(sae.bDec().shape()));
        return g;
    }
}
