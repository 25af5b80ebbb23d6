package dev.loupe.model.lora;

import dev.loupe.LoupeException;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.Linear;
import dev.loupe.model.TrainableModel;
import dev.loupe.tensor.Tensor;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A frozen {@link Gpt} with LoRA adapters on its targeted Conv1D layers: what {@code loupe finetune}
 * trains. Its {@link #parameters()} are only the adapters' A and B matrices, under the names PEFT
 * saves them with ({@code base_model.model.transformer.h.0.attn.c_attn.lora_A.weight}, …), so the
 * trainer, AdamW and checkpoints see nothing else: the base weights get no gradient buffers
 * ({@link Gpt#frozen}) and no optimizer moments.
 *
 * <p>Dropout masks (when {@code lora_dropout > 0}) are drawn from a generator seeded by the seed
 * and the index of the training pass, so a run resumed at step k draws the same masks as an
 * uninterrupted one ({@link #seekPass}).
 */
public final class LoraModel implements TrainableModel {
    /** PEFT's prefix of every saved LoRA tensor of a causal LM (model wrapper + GPT2LMHeadModel). */
    public static final String PREFIX = "base_model.model.transformer.";

    private final Gpt base;
    private final LoraConfig lora;
    private final Map<String, LoraAdapter> adapters;   // module path (h.0.attn.c_attn) → adapter
    private final Map<String, Tensor> params;
    private final Map<String, Tensor> grads;
    private final long seed;
    private long pass;

    private LoraModel(Gpt base, LoraConfig lora, Map<String, LoraAdapter> adapters, long seed) {
        this.base = base;
        this.lora = lora;
        this.adapters = Collections.unmodifiableMap(adapters);
        this.seed = seed;
        Map<String, Tensor> p = new LinkedHashMap<>(), g = new LinkedHashMap<>();
        adapters.forEach((path, a) -> {
            p.put(tensorName(path, "A"), a.a);
            g.put(tensorName(path, "A"), a.dA);
            p.put(tensorName(path, "B"), a.b);
            g.put(tensorName(path, "B"), a.dB);
            layer(base, path).attach(a);
        });
        this.params = Collections.unmodifiableMap(p);
        this.grads = Collections.unmodifiableMap(g);
    }

    /** PEFT's saved name of A or B of module {@code path}: {@code base_model.model.transformer.{path}.lora_{A|B}.weight}. */
    public static String tensorName(String path, String which) {
        return PREFIX + path + ".lora_" + which + ".weight";
    }

    /**
     * New adapters on a frozen base model: A Kaiming-uniform, B zero (so the model equals the base
     * model until the first update). Same seed, same adapters.
     */
    public static LoraModel create(GptConfig c, Map<String, Tensor> baseWeights, LoraConfig lora, long seed) {
        Gpt base = Gpt.frozen(c, baseWeights);
        SplittableRandom seeds = new SplittableRandom(seed);
        Map<String, LoraAdapter> adapters = new LinkedHashMap<>();
        for (String path : lora.modulePaths(c)) {
            Tensor w = layer(base, path).weight;   // [in, out]
            adapters.put(path, LoraAdapter.init(w.dim(0), w.dim(1), lora.r(), lora.scale(), (float) lora.dropout(), seeds.nextLong()));
        }
        return new LoraModel(base, lora, adapters, seed);
    }

    /**
     * Adapters with given tensors (PEFT names, as {@link #parameters()} lists them) on a frozen base
     * model; every targeted module needs its A [r, in] and B [out, r], and no other tensor may appear.
     */
    public static LoraModel load(GptConfig c, Map<String, Tensor> baseWeights, LoraConfig lora, Map<String, Tensor> tensors,
                                 long seed) {
        Gpt base = Gpt.frozen(c, baseWeights);
        Map<String, LoraAdapter> adapters = new LinkedHashMap<>();
        Map<String, Tensor> left = new LinkedHashMap<>(tensors);
        for (String path : lora.modulePaths(c)) {
            Tensor w = layer(base, path).weight;
            Tensor a = take(left, tensorName(path, "A"), new int[] {lora.r(), w.dim(0)});
            Tensor b = take(left, tensorName(path, "B"), new int[] {w.dim(1), lora.r()});
            adapters.put(path, new LoraAdapter(a, b, lora.scale(), (float) lora.dropout()));
        }
        if (!left.isEmpty()) {
            throw new LoupeException("adapter: unexpected tensor '" + left.keySet().iterator().next()
                    + "' (target_modules " + lora.targetModules() + " on a " + c.nLayer() + "-layer model)");
        }
        return new LoraModel(base, lora, adapters, seed);
    }

    private static Tensor take(Map<String, Tensor> left, String name, int[] shape) {
        Tensor t = left.remove(name);
        if (t == null) throw new LoupeException("adapter: tensor '" + name + "' is missing (expected shape " + Arrays.toString(shape) + ")");
        if (!Arrays.equals(t.shape(), shape)) {
            throw new LoupeException("adapter: tensor '" + name + "' has shape " + Arrays.toString(t.shape())
                    + ", expected " + Arrays.toString(shape));
        }
        return t.contiguous();
    }

    /** The Conv1D layer at a module path such as {@code h.2.mlp.c_fc}. */
    static Linear layer(Gpt g, String path) {
        String[] p = path.split("\\.");
        var block = g.blocks[Integer.parseInt(p[1])];
        if (p[2].equals("mlp") && block.mlp != null && block.mlp.isMixture()) {
            throw new LoupeException("LoRA: " + path + " does not exist: layer " + p[1] + "'s MLP is a mixture of experts, which "
                    + "PEFT's GPT-2 layout has no module for; target the attention only (target_modules [\"c_attn\"])");
        }
        return switch (p[2] + "." + p[3]) {
            case "attn.c_attn" -> block.attn.qkv;
            case "attn.c_proj" -> block.attn.proj;
            case "mlp.c_fc" -> block.mlp.fc;
            case "mlp.c_proj" -> block.mlp.proj;
            default -> throw new IllegalArgumentException("not a Conv1D module: " + path);
        };
    }

    /** The frozen base model with the adapters attached (its forward includes them). */
    public Gpt model() { return base; }

    public LoraConfig lora() { return lora; }

    /** Module path → adapter, in layer order. */
    public Map<String, LoraAdapter> adapters() { return adapters; }

    /** Sets the index of the next training pass (a resumed run at step k: k). */
    public void seekPass(long next) { this.pass = next; }

    /**
     * The base weights with every ΔW added (W + s·(B·A)ᵀ): a plain model whose logits equal the
     * adapted model's. New tensors for the changed layers; the others are shared with the base.
     */
    public Map<String, Tensor> mergedWeights() {
        Map<String, Tensor> out = new LinkedHashMap<>(base.parameters());
        adapters.forEach((path, a) -> {
            Tensor w = out.get(path + ".weight").copy();
            a.addDeltaTo(w);
            out.put(path + ".weight", w);
        });
        return out;
    }

    /**
     * A model directory's weights with an adapter merged in (what {@code --adapter} and
     * {@code loupe merge} load): the adapter must fit the model's shape.
     */
    public static Map<String, Tensor> merged(GptConfig c, Map<String, Tensor> baseWeights, AdapterFiles.Loaded adapter) {
        try {
            return load(c, baseWeights, adapter.config(), adapter.tensors(), 0).mergedWeights();
        } catch (LoupeException e) {
            throw new LoupeException(adapter.dir() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public GptConfig config() { return base.config(); }

    @Override
    public Map<String, Tensor> parameters() { return params; }

    @Override
    public Map<String, Tensor> gradients() { return grads; }

    @Override
    public void zeroGradients() {
        base.zeroGradients();
        for (Tensor g : grads.values()) g.fill(0f);
    }

    @Override
    public float forwardBackward(int[] inputs, int[] targets, int batch, int seqLen) {
        long k = pass++;
        int i = 0;
        for (LoraAdapter a : adapters.values()) {
            a.training(lora.dropout() > 0 ? new SplittableRandom(seed ^ (k * 0x9E3779B97F4A7C15L) + 31L * i++) : null);
        }
        try {
            return base.forwardBackward(inputs, targets, batch, seqLen);
        } finally {
            for (LoraAdapter a : adapters.values()) a.training(null);
        }
    }

    @Override
    public float loss(int[] inputs, int[] targets, int batch, int seqLen) {
        return base.loss(inputs, targets, batch, seqLen);
    }
}
