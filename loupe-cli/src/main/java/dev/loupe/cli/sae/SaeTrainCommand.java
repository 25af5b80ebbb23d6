package dev.loupe.cli.sae;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.LoupeException;
import dev.loupe.cli.ModelRef;
import dev.loupe.cli.UsageException;
import dev.loupe.cli.model.LoadedGpt;
import dev.loupe.cli.train.TrainingDataFiles;
import dev.loupe.sae.ActivationStore;
import dev.loupe.sae.Architecture;
import dev.loupe.sae.SaeCheckpoints;
import dev.loupe.sae.SaeHookPoint;
import dev.loupe.sae.SaeMetadata;
import dev.loupe.sae.SaeTrainer;
import dev.loupe.sae.SaeTrainingSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code loupe sae train}: trains a sparse autoencoder on one hook point's activations. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Trains a sparse autoencoder (dictionary) on the activations of one hook point and saves it in SAELens'",
                "layout in --out: cfg.json, sae_weights.safetensors, sparsity.safetensors, plus training.png (loss and",
                "L0 per step) and checkpoints/. Running again with the same --out resumes from the last checkpoint",
                "with the identical trajectory (only --training-tokens and --checkpoint-every may change).",
                "",
                "Activations: the text (tokenized with the model's tokenizer) or .bin token file is cut into windows",
                "of --context-size tokens; the model runs only up to the hooked block; the activations of",
                "--n-batches-in-buffer batches are shuffled together and served in batches of",
                "--train-batch-size-tokens. Hooks: blocks.L.hook_resid_pre|hook_resid_mid|hook_resid_post,",
                "blocks.L.hook_attn_out, blocks.L.hook_mlp_out, blocks.L.mlp.hook_post, blocks.L.attn.hook_z (flattened).",
                "",
                "Objective per batch of N tokens (x̂ = f·W_dec + b_dec, f = σ((x − b_dec)·W_enc + b_enc)):",
                "  standard  mean_n ‖x̂ − x‖² + λ·mean_n Σ_j f_j·‖W_dec[j]‖,  σ = ReLU",
                "  topk      mean_n ‖x̂ − x‖² + α·mean_n ‖ê − (x − x̂)‖²,  σ = ReLU(top k)",
                "            ê decodes the top d_in/2 dead latents (AuxK, α scaled by",
                "            min(dead/(d_in/2), 1)); decoder rows kept at unit norm",
                "Details and the evaluation metrics: docs/sae.md.", ""},
        footer = {"", "Example:",
                "  loupe sae train --model runs/shakespeare --hook blocks.1.hook_resid_post --data ../shared/data/tinyshakespeare.txt \\",
                "      --out runs/sae --expansion-factor 8 --training-tokens 1000000"})
public final class SaeTrainCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR|NAME", converter = ModelRef.Converter.class,
            description = "Model directory (with a tokenizer for text data), or a hub name fetched with 'loupe fetch'.")
    ModelRef model;
    @Option(names = "--hook", required = true, paramLabel = "HOOK", description = "Hook point, e.g. blocks.1.hook_resid_post.")
    String hook;
    @Option(names = "--data", required = true, paramLabel = "FILE", description = "Text file (tokenized with the model's tokenizer) or .bin token file.")
    Path data;
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output SAE directory; resumed when it holds a checkpoint.")
    Path out;
    @Option(names = "--architecture", defaultValue = "standard", paramLabel = "standard|topk",
            description = "standard (ReLU + decoder-norm-weighted L1) or topk (default: ${DEFAULT-VALUE}).")
    String architecture;
    @Option(names = "--k", defaultValue = "32", description = "Active latents per token for topk (default: ${DEFAULT-VALUE}).")
    int k;
    @Option(names = "--expansion-factor", description = "d_sae = expansion factor × d_in (default 4 unless --d-sae is given).")
    Integer expansionFactor;
    @Option(names = "--d-sae", description = "Number of latents (instead of --expansion-factor).")
    Integer dSae;
    @Option(names = "--l1-coefficient", defaultValue = "5", description = "λ of the L1 penalty, standard only (default: ${DEFAULT-VALUE}).")
    double l1Coefficient;
    @Option(names = "--lr", defaultValue = "3e-4", description = "Adam learning rate (default: ${DEFAULT-VALUE}).")
    double lr;
    @Option(names = "--lr-warm-up-steps", defaultValue = "0", description = "Linear lr warm-up: lr·(t+1)/(warm-up+1) (default: ${DEFAULT-VALUE}).")
    int lrWarmUpSteps;
    @Option(names = "--l1-warm-up-steps", defaultValue = "0", description = "Linear λ warm-up: λ·min(1, (t+1)/warm-up) (default: ${DEFAULT-VALUE}).")
    int l1WarmUpSteps;
    @Option(names = "--training-tokens", defaultValue = "1000000", description = "Tokens to train on (default: ${DEFAULT-VALUE}).")
    long trainingTokens;
    @Option(names = "--train-batch-size-tokens", defaultValue = "4096", description = "Tokens per step (default: ${DEFAULT-VALUE}).")
    int trainBatchTokens;
    @Option(names = "--context-size", description = "Tokens per window (default: min(128, the model's context)).")
    Integer contextSize;
    @Option(names = "--store-batch-size-prompts", defaultValue = "8", description = "Windows per model forward pass (default: ${DEFAULT-VALUE}).")
    int storeBatchPrompts;
    @Option(names = "--n-batches-in-buffer", defaultValue = "20", description = "Batches shuffled together in the activation buffer (default: ${DEFAULT-VALUE}).")
    int nBatchesInBuffer;
    @Option(names = "--normalize-activations", defaultValue = "none", paramLabel = "none|expected_average_only_in",
            description = "Scale activations to mean norm √d_in while training; folded into the saved weights (default: ${DEFAULT-VALUE}).")
    String normalizeActivations;
    @Option(names = "--dead-feature-window", defaultValue = "1000", description = "A latent silent for more steps than this is dead (default: ${DEFAULT-VALUE}).")
    int deadFeatureWindow;
    @Option(names = "--feature-sampling-window", defaultValue = "2000", description = "Steps per feature-density window (sparsity.safetensors, resampling) (default: ${DEFAULT-VALUE}).")
    int featureSamplingWindow;
    @Option(names = "--resample-dead", description = "Standard only: re-initialise latents silent for a whole sampling window (Anthropic).")
    boolean resampleDead;
    @Option(names = "--aux-loss-coefficient", defaultValue = "0.03125", description = "α of the TopK AuxK loss (default: ${DEFAULT-VALUE} = 1/32).")
    double auxLossCoefficient;
    @Option(names = "--b-dec-init-method", defaultValue = "geometric_median", paramLabel = "geometric_median|mean|zeros",
            description = "b_dec's initial value, from the first buffer (default: ${DEFAULT-VALUE}).")
    String bDecInit;
    @Option(names = "--adam-beta1", defaultValue = "0.9", description = "Adam β₁ (default: ${DEFAULT-VALUE}).")
    double beta1;
    @Option(names = "--adam-beta2", defaultValue = "0.999", description = "Adam β₂ (default: ${DEFAULT-VALUE}).")
    double beta2;
    @Option(names = "--seed", defaultValue = "42", description = "Seeds the initial weights, shuffling and resampling (default: ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--checkpoint-every", defaultValue = "0", description = "Checkpoint every N steps, 0 = only at the end (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    /** Settings a resumed run may change. */
    private static final Set<String> MAY_CHANGE = Set.of("training_tokens", "checkpoint_every");

    @Override
    public Integer call() {
        Architecture arch;
        try {
            arch = Architecture.fromName(architecture);
        } catch (LoupeException e) {
            throw new UsageException("--architecture must be standard or topk, got " + architecture);
        }
        if (expansionFactor != null && dSae != null) throw new UsageException("give --expansion-factor or --d-sae, not both");
        LoadedGpt m = LoadedGpt.open(model);
        SaeHookPoint hp = SaeHookPoint.resolve(m.model().config(), hook);
        int width = hp.width();
        int latents = dSae != null ? dSae : (expansionFactor != null ? expansionFactor : 4) * width;
        int t = contextSize != null ? contextSize : Math.min(128, m.model().config().nPositions());
        SaeTrainingSettings s = new SaeTrainingSettings(arch, latents, k, l1Coefficient, lr, lrWarmUpSteps, l1WarmUpSteps,
                trainingTokens, trainBatchTokens, normalizeActivations, deadFeatureWindow, featureSamplingWindow, resampleDead,
                auxLossCoefficient, bDecInit, beta1, beta2, seed, checkpointEvery);
        int[] tokens = TrainingDataFiles.evalTokens(data, m.tokenizer());
        ActivationStore store = new ActivationStore(m.model(), hp, tokens,
                new ActivationStore.Settings(t, storeBatchPrompts, trainBatchTokens, nBatchesInBuffer, seed));
        SaeMetadata meta = new SaeMetadata(model.displayName(), hp.name(), null, t, false, data.toString(), Map.of());
        ObjectNode settingsJson = settingsJson(s, t, hp.name(), tokens.length);

        Optional<SaeCheckpoints.Loaded> previous = SaeCheckpoints.loadLatest(out);
        SaeTrainer trainer;
        if (previous.isPresent()) {
            checkUnchanged(previous.get().settings(), settingsJson);
            trainer = SaeTrainer.restore(s, store, meta, previous.get().state());
            System.err.printf(Locale.ROOT, "resuming from %s (step %d of %d)%n", previous.get().dir(), trainer.stepsTaken(), s.steps());
        } else {
            System.err.printf(Locale.ROOT, "sae train: %s on %s (d_in %d), %s d_sae %d, %,d tokens in %d steps of %d%n",
                    model.displayName(), hp.name(), width, arch, latents, s.steps() * trainBatchTokens, s.steps(), trainBatchTokens);
            trainer = SaeTrainer.start(s, store, meta);
        }
        SaeProgress progress = new SaeProgress(System.err, trainer.stepsTaken(), s.steps());
        while (!trainer.done()) {
            progress.step(trainer.trainStep());
            if (checkpointEvery > 0 && trainer.stepsTaken() % checkpointEvery == 0 && !trainer.done()) {
                SaeCheckpoints.save(out, trainer, settingsJson);
            }
        }
        SaeCheckpoints.save(out, trainer, settingsJson);
        SaeCharts.training(trainer.history(), out);
        SaeTrainer.Point last = trainer.history().isEmpty() ? null : trainer.history().getLast();
        if (last != null) {
            System.out.printf(Locale.ROOT, "saved %s: L0 %.1f, MSE %.4g, explained variance %.3f, dead %.1f%% (last step)%n",
                    out, last.l0(), last.mse(), last.explainedVariance(), 100 * last.deadFraction());
        }
        return 0;
    }

    private ObjectNode settingsJson(SaeTrainingSettings s, int t, String hookName, int tokenCount) {
        ObjectNode j = JsonNodeFactory.instance.objectNode();
        j.put("model", model.displayName());
        j.put("hook", hookName);
        j.put("data", data.toAbsolutePath().normalize().toString());
        j.put("data_tokens", tokenCount);
        j.put("architecture", s.architecture().saeLensName());
        j.put("d_sae", s.dSae());
        j.put("k", s.k());
        j.put("l1_coefficient", s.l1Coefficient());
        j.put("lr", s.lr());
        j.put("lr_warm_up_steps", s.lrWarmUpSteps());
        j.put("l1_warm_up_steps", s.l1WarmUpSteps());
        j.put("training_tokens", s.trainingTokens());
        j.put("train_batch_size_tokens", s.trainBatchTokens());
        j.put("context_size", t);
        j.put("store_batch_size_prompts", storeBatchPrompts);
        j.put("n_batches_in_buffer", nBatchesInBuffer);
        j.put("normalize_activations", s.normalizeActivations());
        j.put("dead_feature_window", s.deadFeatureWindow());
        j.put("feature_sampling_window", s.featureSamplingWindow());
        j.put("resample_dead", s.resampleDead());
        j.put("aux_loss_coefficient", s.auxKCoefficient());
        j.put("b_dec_init_method", s.bDecInit());
        j.put("adam_beta1", s.adamBeta1());
        j.put("adam_beta2", s.adamBeta2());
        j.put("seed", s.seed());
        j.put("checkpoint_every", s.checkpointEvery());
        return j;
    }

    private static void checkUnchanged(JsonNode saved, ObjectNode now) {
        for (Iterator<String> it = now.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (MAY_CHANGE.contains(key)) continue;
            JsonNode was = saved == null ? null : saved.get(key);
            JsonNode is = now.get(key);
            boolean same = was != null && (was.isNumber() && is.isNumber()
                    ? was.decimalValue().compareTo(is.decimalValue()) == 0 : was.equals(is));
            if (!same) {
                throw new UsageException("--" + key.replace('_', '-') + " is " + now.get(key) + " but the checkpoint in --out was trained with "
                        + was + "; only --training-tokens and --checkpoint-every may change on resume (or use a new --out)");
            }
        }
    }
}
