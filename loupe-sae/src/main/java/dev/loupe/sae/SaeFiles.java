package dev.loupe.sae;

import dev.loupe.LoupeException;
import dev.loupe.model.io.Safetensors;
import dev.loupe.model.io.SafetensorsFile;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.io.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * SAELens' directory layout for one SAE:
 * <pre>
 *   cfg.json                   see {@link SaeConfigJson}
 *   sae_weights.safetensors    W_enc [d_in, d_sae], b_enc [d_sae], W_dec [d_sae, d_in], b_dec [d_in]
 *                              (+ threshold [d_sae] for jumprelu), float32
 *   sparsity.safetensors       sparsity [d_sae] = log10(feature density + 1e-10)   (optional)
 * </pre>
 * Saved weights always apply to raw activations: an input scale (activation normalisation) is
 * folded into them first ({@link SparseAutoencoder#folded()}), as SAELens does. Each file is
 * written atomically, cfg.json last, so a directory never holds a cfg.json describing weights
 * that are not there.
 *
 * <p>Loading also accepts F16/BF16/F64 weights (widened/rounded to float32) and a legacy
 * {@code scaling_factor} [d_sae] tensor (SAELens' finetuning scale, f·s before decoding), which
 * is folded into W_dec's rows.
 */
public final class SaeFiles {
    public static final String CFG = "cfg.json";
    public static final String WEIGHTS = "sae_weights.safetensors";
    public static final String SPARSITY = "sparsity.safetensors";

    private SaeFiles() {}

    /**
     * Loads the SAE in {@code dir}.
     *
     * @throws LoupeException naming the file and the field or tensor when anything is missing,
     *                        misshaped, non-finite or not understood
     */
    public static SparseAutoencoder load(Path dir) {
        if (!Files.isDirectory(dir)) throw new LoupeException(dir + ": no such SAE directory (expected cfg.json and " + WEIGHTS + ")");
        Path cfgFile = dir.resolve(CFG);
        String text;
        try {
            text = Files.readString(cfgFile);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new LoupeException(cfgFile + ": no such file (an SAELens SAE directory holds cfg.json and " + WEIGHTS + ")");
        } catch (IOException e) {
            throw new LoupeException("cannot read " + cfgFile + ": " + e.getMessage(), e);
        }
        SaeConfig cfg = SaeConfigJson.parse(text, cfgFile.toString());
        Path weights = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(weights)) throw new LoupeException(weights + ": no such file");
        try (SafetensorsFile f = Safetensors.open(weights)) {
            Tensor wEnc = tensor(f, "W_enc");
            Tensor bEnc = tensor(f, "b_enc");
            Tensor wDec = tensor(f, "W_dec");
            Tensor bDec = tensor(f, "b_dec");
            Tensor threshold = cfg.architecture() == Architecture.JUMPRELU ? tensor(f, "threshold") : null;
            if (f.contains("scaling_factor")) wDec = foldScalingFactor(f.read("scaling_factor"), wDec, weights);
            try {
                return SparseAutoencoder.of(cfg, wEnc, bEnc, wDec, bDec, threshold);
            } catch (LoupeException e) {
                throw new LoupeException(weights + ": " + e.getMessage());
            }
        }
    }

    private static Tensor tensor(SafetensorsFile f, String name) {
        if (!f.contains(name)) {
            throw new LoupeException(f.path() + ": tensor '" + name + "' is missing (found " + f.entries().keySet() + ")");
        }
        return f.read(name);
    }

    private static Tensor foldScalingFactor(Tensor s, Tensor wDec, Path file) {
        if (s.rank() != 1 || s.dim(0) != wDec.dim(0)) {
            throw new LoupeException(file + ": tensor 'scaling_factor' has shape " + java.util.Arrays.toString(s.shape())
                    + ", expected [" + wDec.dim(0) + "]");
        }
        Tensor out = wDec.copy();
        int dIn = out.dim(1);
        for (int i = 0; i < s.dim(0); i++) {
            float si = s.get(i);
            for (int j = 0; j < dIn; j++) out.data()[i * dIn + j] *= si;
        }
        return out;
    }

    /** The {@code sparsity} [d_sae] tensor (log10 feature density) of {@code dir}, if the file exists. */
    public static Optional<Tensor> loadSparsity(Path dir) {
        Path p = dir.resolve(SPARSITY);
        if (!Files.isRegularFile(p)) return Optional.empty();
        try (SafetensorsFile f = Safetensors.open(p)) {
            if (!f.contains("sparsity")) throw new LoupeException(p + ": tensor 'sparsity' is missing");
            return Optional.of(f.read("sparsity"));
        }
    }

    /**
     * Saves {@code sae} (folded: weights for raw activations) into {@code dir} in SAELens' layout;
     * {@code featureDensity} [d_sae] (fraction of tokens on which each feature fired) becomes
     * {@code sparsity.safetensors} as log10(density + 1e-10); when null, no sparsity file is left in {@code dir}.
     */
    public static void save(SparseAutoencoder sae, Path dir, float[] featureDensity) {
        SparseAutoencoder s = sae.folded();
        Map<String, Tensor> w = new LinkedHashMap<>();
        w.put("W_enc", s.wEnc());
        w.put("b_enc", s.bEnc());
        w.put("W_dec", s.wDec());
        w.put("b_dec", s.bDec());
        if (s.threshold() != null) w.put("threshold", s.threshold());
        Safetensors.write(dir.resolve(WEIGHTS), w);
        if (featureDensity != null) {
            if (featureDensity.length != s.dSae()) {
                throw new IllegalArgumentException("feature density has " + featureDensity.length + " entries, d_sae is " + s.dSae());
            }
            Safetensors.write(dir.resolve(SPARSITY), Map.of("sparsity", Tensor.of(logDensity(featureDensity), s.dSae())));
        } else {
            try {
                Files.deleteIfExists(dir.resolve(SPARSITY)); // an older SAE's densities must not pass for this one's
            } catch (IOException e) {
                throw new LoupeException("cannot remove the stale " + dir.resolve(SPARSITY) + ": " + e.getMessage(), e);
            }
        }
        AtomicFiles.writeString(dir.resolve(CFG), SaeConfigJson.write(s.config()));
    }

    /** SAELens' sparsity: log10(density + 1e-10), per feature. */
    public static float[] logDensity(float[] density) {
        float[] out = new float[density.length];
        for (int i = 0; i < out.length; i++) out[i] = (float) Math.log10(density[i] + 1e-10);
        return out;
    }
}
