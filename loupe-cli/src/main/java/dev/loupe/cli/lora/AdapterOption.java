package dev.loupe.cli.lora;

import dev.loupe.model.io.ModelDirectory;
import dev.loupe.model.lora.AdapterFiles;
import dev.loupe.model.lora.LoraModel;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * The {@code --adapter DIR} option of the commands that run a model: a LoRA adapter in PEFT's
 * layout, merged into the weights as the model loads (W + (α/r)·(B·A)ᵀ, PEFT's
 * {@code merge_and_unload}), so the command sees the adapted model.
 */
public final class AdapterOption {
    @Option(names = "--adapter", paramLabel = "DIR",
            description = "A LoRA adapter directory (PEFT layout: adapter_config.json + adapter_model.safetensors, e.g. from "
                    + "'loupe finetune'), merged into the model's weights as it loads.")
    Path adapter;

    /** Whether {@code --adapter} was given. */
    public boolean given() {
        return adapter != null;
    }

    /** The model as loaded, with the adapter merged in when one was given. */
    public ModelDirectory.LoadedModel apply(ModelDirectory.LoadedModel m) {
        if (adapter == null) return m;
        return new ModelDirectory.LoadedModel(m.config(), LoraModel.merged(m.config(), m.weights(), AdapterFiles.read(adapter)), m.dir());
    }

    /** The web explorer's model: the directory's, with the adapter merged in when one was given. */
    public dev.loupe.web.ExplorerModel openExplorer(Path modelDir) {
        return openExplorer(modelDir, false);
    }

    /** {@link #openExplorer(Path)}; {@code allowNonFinite} loads weights holding NaN or Inf. */
    public dev.loupe.web.ExplorerModel openExplorer(Path modelDir, boolean allowNonFinite) {
        return openExplorer(modelDir, allowNonFinite, dev.loupe.model.WeightFormat.F32);
    }

    /**
     * {@link #openExplorer(Path, boolean)} with the weight matrices in {@code format}; with an adapter
     * the merged float32 weights are rounded to bfloat16 (as {@code LoadedGpt} does).
     */
    public dev.loupe.web.ExplorerModel openExplorer(Path modelDir, boolean allowNonFinite, dev.loupe.model.WeightFormat format) {
        if (!given()) return dev.loupe.web.ExplorerModel.open(modelDir, allowNonFinite, format);
        ModelDirectory.LoadedModel m = read(modelDir, allowNonFinite);
        dev.loupe.model.Gpt gpt = dev.loupe.model.Gpt.frozen(m.config(), m.weights());   // the explorer never trains: no gradient buffers
        if (format == dev.loupe.model.WeightFormat.BF16) gpt = gpt.toBf16();
        return new dev.loupe.web.ExplorerModel(gpt,
                dev.loupe.tokens.Tokenizers.require(modelDir), modelDir.toAbsolutePath().normalize().getFileName() + " + " + adapter.getFileName(),
                dev.loupe.model.io.SamplePrompt.read(modelDir));
    }

    /** Reads the model directory and applies the adapter. */
    public ModelDirectory.LoadedModel read(Path modelDir) {
        return read(modelDir, false);
    }

    /** {@link #read(Path)}; {@code allowNonFinite} loads weights holding NaN or Inf ({@code --allow-nonfinite}). */
    public ModelDirectory.LoadedModel read(Path modelDir, boolean allowNonFinite) {
        return apply(ModelDirectory.read(modelDir, allowNonFinite));
    }
}
