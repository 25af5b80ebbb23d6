package dev.loupe.model.io;

import dev.loupe.LoupeException;
import dev.loupe.model.GptConfig;
import dev.loupe.model.GptConfig.Mlp;
import dev.loupe.model.GptConfig.Norm;
import dev.loupe.model.GptConfig.Positional;
import dev.loupe.model.io.ModelDirectory.LoadedModel;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.io.AtomicFiles;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Karpathy's llm.c model checkpoint ({@code gpt2_124M.bin}, written by {@code train_gpt2.py},
 * read by {@code train_gpt2.c}) ↔ Loupe's GPT-2 tensors.
 *
 * <p>Layout: a header of 256 little-endian int32 {@code [20240326, version, maxT, V, L, NH, C, Vp, 0…]}
 * (version 3 = float32, 5 = bfloat16; the older version 1 = float32 without the padded vocabulary
 * Vp is also read), then the 16 parameter tensors back to back, each layer-stacked:
 * <pre>
 *   wte [Vp, C]  wpe [maxT, C]  ln1w [L, C]  ln1b [L, C]  qkvw [L, 3C, C]  qkvb [L, 3C]
 *   attprojw [L, C, C]  attprojb [L, C]  ln2w [L, C]  ln2b [L, C]  fcw [L, 4C, C]  fcb [L, 4C]
 *   fcprojw [L, C, 4C]  fcprojb [L, C]  lnfw [C]  lnfb [C]
 * </pre>
 * llm.c stores weights as [out, in] (nn.Linear); GPT-2 / Loupe use Conv1D [in, out], so every
 * matrix is transposed on the way in and out. Rows V…Vp-1 of {@code wte} are padding (zeros,
 * never predicted) and are dropped on reading; writing pads V up to a multiple of 128 as
 * {@code train_gpt2.py} does. llm.c computes only GPT-2 itself: pre-LN, GELU (tanh), 4·C MLP,
 * learned positions, tied embeddings, LayerNorm ε = 1e-5; other configurations cannot be written.
 */
public final class LlmcCheckpoint {
    public static final int MAGIC = 20240326;
    private static final int HEADER_INTS = 256;
    private static final ValueLayout.OfInt I32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private LlmcCheckpoint() {}

    /** Reads an llm.c checkpoint, refusing non-finite weights ({@link #read(Path, boolean)}). */
    public static LoadedModel read(Path file) {
        return read(file, false);
    }

    /**
     * Reads an llm.c checkpoint into a GPT-2 configuration and weights in Loupe's names and
     * orientation. The file must have exactly the size its header describes (so a header whose
     * version claims bfloat16 over float32 weights is refused), the parameters must fit in the heap
     * ({@link HeapBudget}), and, unless {@code allowNonFinite}, hold no NaN or ±Inf ({@link FiniteWeights}).
     */
    public static LoadedModel read(Path file, boolean allowNonFinite) {
        try (Arena arena = Arena.ofConfined();
             FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            if (all.byteSize() < 4L * HEADER_INTS) {
                throw bad(file, "truncated: " + all.byteSize() + " bytes, shorter than the 1024-byte header");
            }
            int[] h = new int[HEADER_INTS];
            MemorySegment.copy(all, I32_LE, 0, h, 0, HEADER_INTS);
            if (h[0] != MAGIC) {
                throw bad(file, "not an llm.c model checkpoint (magic " + h[0] + ", expected " + MAGIC
                        + "; token files have magic 20240520)");
            }
            int version = h[1];
            int bytes = switch (version) {
                case 1, 3 -> 4;
                case 5 -> 2;
                default -> throw bad(file, "unsupported llm.c checkpoint version " + version
                        + " (expected 3 = float32 or 5 = bfloat16)");
            };
            int maxT = h[2], v = h[3], l = h[4], nh = h[5], c = h[6];
            int vp = version == 1 ? v : h[7];
            if (maxT <= 0 || v <= 0 || l < 0 || nh <= 0 || c <= 0 || c % nh != 0 || vp < v) {
                throw bad(file, "implausible header: maxT " + maxT + ", V " + v + ", L " + l + ", NH " + nh
                        + ", C " + c + ", Vp " + vp);
            }
            GptConfig config;
            try {
                config = new GptConfig(v, maxT, c, l, nh, GptConfig.mlpWidth(c), 1e-5f, true, Norm.PRE, Mlp.GELU, Positional.LEARNED);
            } catch (LoupeException e) {
                throw bad(file, "implausible header: " + e.getMessage());
            }
            long[] sizes = sizes(vp, maxT, l, c);
            long total = 0;
            for (long s : sizes) {
                if (s > Integer.MAX_VALUE) throw bad(file, "implausible header: a tensor of " + s + " elements");
                total += s;
            }
            long need = 4L * HEADER_INTS + total * bytes;
            if (all.byteSize() != need) throw bad(file, sizeMismatch(version, total, need, all.byteSize()));
            HeapBudget.require(file.toString(), config);
            Reader r = new Reader(all, 4L * HEADER_INTS, bytes);
            float[][] p = new float[sizes.length][];
            for (int i = 0; i < sizes.length; i++) p[i] = r.next((int) sizes[i]);
            Map<String, Tensor> weights = toLoupe(config, p, vp);
            if (!allowNonFinite) weights.forEach((name, t) -> FiniteWeights.require(file, name, t));
            return new LoadedModel(config, Collections.unmodifiableMap(weights), file);
        } catch (NoSuchFileException e) {
            throw new LoupeException(file + ": no such file", e);
        } catch (IOException e) {
            throw new LoupeException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes {@code weights} (Loupe names and orientation) as an llm.c version-3 (float32)
     * checkpoint, atomically.
     *
     * @throws LoupeException if the configuration uses a feature llm.c does not compute
     */
    public static void write(Path file, GptConfig config, Map<String, Tensor> weights) {
        requireLlmcCompatible(file, config);
        int c = config.dModel(), l = config.nLayer(), v = config.vocabSize(), maxT = config.nPositions();
        int vp = (v + 127) / 128 * 128;
        for (var e : config.expectedShapes().entrySet()) {
            Tensor t = weights.get(e.getKey());
            if (t == null || !java.util.Arrays.equals(t.shape(), e.getValue())) {
                throw new LoupeException("cannot write " + file + ": tensor '" + e.getKey() + "' is "
                        + (t == null ? "missing" : "of shape " + java.util.Arrays.toString(t.shape()))
                        + ", expected " + java.util.Arrays.toString(e.getValue()));
            }
        }
        int[] header = new int[HEADER_INTS];
        header[0] = MAGIC;
        header[1] = 3;
        header[2] = maxT;
        header[3] = v;
        header[4] = l;
        header[5] = config.nHead();
        header[6] = c;
        header[7] = vp;
        AtomicFiles.write(file, out -> {
            byte[] hb = new byte[4 * HEADER_INTS];
            MemorySegment.copy(header, 0, MemorySegment.ofArray(hb), I32_LE, 0, HEADER_INTS);
            out.write(hb);
            Writer w = new Writer(out);
            w.put(weights.get("wte.weight"));
            w.zeros((long) (vp - v) * c);
            w.put(weights.get("wpe.weight"));
            for (String[] group : LAYER_GROUPS) {
                for (int i = 0; i < l; i++) {
                    Tensor t = weights.get("h." + i + "." + group[0]);
                    w.put(group[1].equals("T") ? t.transpose(0, 1) : t);
                }
            }
            w.put(weights.get("ln_f.weight"));
            w.put(weights.get("ln_f.bias"));
        });
    }

    /** The layer-stacked tensors in llm.c's order: Loupe's name, and "T" when llm.c holds the transpose. */
    private static final List<String[]> LAYER_GROUPS = List.of(
            new String[] {"ln_1.weight", ""}, new String[] {"ln_1.bias", ""},
            new String[] {"attn.c_attn.weight", "T"}, new String[] {"attn.c_attn.bias", ""},
            new String[] {"attn.c_proj.weight", "T"}, new String[] {"attn.c_proj.bias", ""},
            new String[] {"ln_2.weight", ""}, new String[] {"ln_2.bias", ""},
            new String[] {"mlp.c_fc.weight", "T"}, new String[] {"mlp.c_fc.bias", ""},
            new String[] {"mlp.c_proj.weight", "T"}, new String[] {"mlp.c_proj.bias", ""});

    private static long[] sizes(long vp, long maxT, long l, long c) {
        long[] s = new long[2 + LAYER_GROUPS.size() + 2];
        s[0] = vp * c;
        s[1] = maxT * c;
        long[] perLayer = {c, c, 3 * c * c, 3 * c, c * c, c, c, c, 4 * c * c, 4 * c, 4 * c * c, c};
        for (int g = 0; g < perLayer.length; g++) s[2 + g] = l * perLayer[g];
        s[s.length - 2] = c;
        s[s.length - 1] = c;
        return s;
    }

    private static Map<String, Tensor> toLoupe(GptConfig config, float[][] p, int vp) {
        int c = config.dModel(), l = config.nLayer(), v = config.vocabSize();
        Map<String, int[]> shapes = config.expectedShapes();
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("wte.weight", Tensor.of(java.util.Arrays.copyOf(p[0], v * c), v, c)); // drop padded rows
        out.put("wpe.weight", Tensor.of(p[1], config.nPositions(), c));
        for (int g = 0; g < LAYER_GROUPS.size(); g++) {
            String[] group = LAYER_GROUPS.get(g);
            float[] stacked = p[2 + g];
            int per = stacked.length / Math.max(l, 1);
            for (int i = 0; i < l; i++) {
                String name = "h." + i + "." + group[0];
                int[] shape = shapes.get(name);
                if (group[1].equals("T")) {
                    Tensor llmc = Tensor.wrap(stacked, i * per, shape[1], shape[0]); // [out, in]
                    out.put(name, llmc.transpose(0, 1).contiguous());
                } else {
                    out.put(name, Tensor.of(java.util.Arrays.copyOfRange(stacked, i * per, (i + 1) * per), shape));
                }
            }
        }
        out.put("ln_f.weight", Tensor.of(p[p.length - 2], c));
        out.put("ln_f.bias", Tensor.of(p[p.length - 1], c));
        // return in the canonical order of expectedShapes()
        Map<String, Tensor> ordered = new LinkedHashMap<>();
        for (String k : shapes.keySet()) ordered.put(k, out.get(k));
        return ordered;
    }

    private static void requireLlmcCompatible(Path file, GptConfig c) {
        String why = null;
        if (c.norm() != Norm.PRE) why = c.norm() == Norm.POST ? "post-LN" : "no LayerNorm";
        else if (!c.attnBias()) why = "attention without biases";
        else if (c.mlp() != Mlp.GELU) why = "an MLP other than GELU (" + c.mlp().name().toLowerCase() + ")";
        else if (c.positional() != Positional.LEARNED) why = c.positional() == Positional.NONE ? "no position embeddings" : "sinusoidal positions instead of learned ones";
        else if (!c.tied()) why = "untied embeddings";
        else if (c.dMlp() != 4 * c.dModel()) why = "d_mlp " + c.dMlp() + " != 4·d_model";
        else if (c.layerNormEps() != 1e-5f) why = "LayerNorm epsilon " + c.layerNormEps() + " (llm.c uses 1e-5)";
        else if (!c.attention().isSoftmax()) why = c.attention().describe() + " attention";
        else if (c.moe() != null) why = "mixture-of-experts MLPs";
        if (why != null) {
            throw new LoupeException("cannot write " + file + " as an llm.c checkpoint: the model uses " + why
                    + ", which llm.c's GPT-2 does not compute");
        }
    }

    /**
     * Why a file of {@code actual} bytes does not hold the {@code total} parameters its header
     * describes: train_gpt2.py writes exactly the header and the parameters, so any other size
     * (truncation, appended bytes, or a header whose version claims the wrong element type) is refused.
     */
    private static String sizeMismatch(int version, long total, long need, long actual) {
        String dtype = version == 5 ? "bfloat16" : "float32";
        String s = (actual < need ? "truncated: " : "") + "the header (version " + version + ", " + dtype + ") describes "
                + total + " parameters, " + need + " bytes with the header, but the file has " + actual + " bytes";
        long other = 4L * HEADER_INTS + total * (version == 5 ? 4 : 2);
        if (actual == other) {
            s += ": exactly the size of " + (version == 5 ? "float32" : "bfloat16") + " weights, so the header's version"
                    + " does not match the body (version 3 = float32, 5 = bfloat16)";
        } else if (actual > need) {
            s += " (" + (actual - need) + " bytes too many)";
        }
        return s;
    }

    private static LoupeException bad(Path file, String why) {
        return new LoupeException(file + ": " + why);
    }

    /** Sequential float32 or bfloat16 reads from the mapped file. */
    private static final class Reader {
        private final MemorySegment seg;
        private long pos;
        private final int bytes;

        Reader(MemorySegment seg, long pos, int bytes) {
            this.seg = seg;
            this.pos = pos;
            this.bytes = bytes;
        }

        float[] next(int n) {
            float[] out = new float[n];
            if (bytes == 4) {
                MemorySegment.copy(seg, F32_LE, pos, out, 0, n);
            } else {
                short[] buf = new short[Math.min(n, 1 << 14)];
                for (int i = 0; i < n; i += buf.length) {
                    int m = Math.min(buf.length, n - i);
                    MemorySegment.copy(seg, I16_LE, pos + 2L * i, buf, 0, m);
                    for (int j = 0; j < m; j++) out[i + j] = Float.intBitsToFloat((buf[j] & 0xffff) << 16);
                }
            }
            pos += (long) n * bytes;
            return out;
        }
    }

    /** Streams tensors (any view, logical row-major order) as little-endian float32. */
    private static final class Writer {
        private final OutputStream out;
        private final byte[] buf = new byte[1 << 16];
        private final MemorySegment seg = MemorySegment.ofArray(buf);

        Writer(OutputStream out) {
            this.out = out;
        }

        void put(Tensor t) throws IOException {
            Tensor c = t.contiguous();
            int n = c.size();
            for (int i = 0; i < n; i += buf.length / 4) {
                int m = Math.min(buf.length / 4, n - i);
                MemorySegment.copy(c.data(), c.offset() + i, seg, F32_LE, 0, m);
                out.write(buf, 0, 4 * m);
            }
        }

        void zeros(long n) throws IOException {
            java.util.Arrays.fill(buf, (byte) 0);
            for (long i = 0; i < n; i += buf.length / 4) out.write(buf, 0, (int) (4 * Math.min(buf.length / 4, n - i)));
        }
    }
}
