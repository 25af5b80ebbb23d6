package dev.loupe.model.lora;

import dev.loupe.model.GptConfig;
import dev.loupe.model.TrainableModel;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.train.Checkpoints;

import java.nio.file.Path;
import java.util.List;

/**
 * How a LoRA run's checkpoints hold the model: the adapter directory's two PEFT files, so every
 * checkpoint, and the output directory itself, is an adapter PEFT loads. The base model's
 * configuration is not in those files: it is the base model's, given here.
 */
public record LoraCheckpointFiles(GptConfig baseConfig) implements Checkpoints.ModelFiles {
    @Override
    public void write(Path dir, TrainableModel model) {
        AdapterFiles.write(dir, ((LoraModel) model).lora(), model.parameters());
    }

    @Override
    public ModelDirectory.LoadedModel read(Path dir) {
        return new ModelDirectory.LoadedModel(baseConfig, AdapterFiles.read(dir).tensors(), dir);
    }

    @Override
    public List<String> names() {
        return List.of(AdapterFiles.WEIGHTS, AdapterFiles.CONFIG);
    }
}
