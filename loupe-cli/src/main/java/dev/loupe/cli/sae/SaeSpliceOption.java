package dev.loupe.cli.sae;

import dev.loupe.cli.UsageException;
import dev.loupe.model.Gpt;
import dev.loupe.sae.SaeFiles;
import dev.loupe.sae.SaeSplice;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * {@code --sae DIR [--sae-error]} for the model commands ({@code logits}, {@code generate},
 * {@code lens}, {@code attribute}, {@code serve}): splice a sparse autoencoder (SAELens directory)
 * into the model at the hook its cfg.json names, so the command runs the model with x̂ in place of x
 * there — with {@code --sae-error}, x̂ plus the SAE's error, which leaves the outputs unchanged.
 */
public final class SaeSpliceOption {
    @Option(names = "--sae", paramLabel = "DIR",
            description = "Splice this sparse autoencoder (SAELens directory: cfg.json + sae_weights.safetensors) into the model "
                    + "at its hook: the model runs with the SAE's reconstruction in place of the activation there.")
    Path sae;

    @Option(names = "--sae-error", description = "With --sae: add the SAE's error (x − x̂) back, so the outputs are the model's own "
            + "and the SAE's hook points (…hook_sae_acts_post) can be read or edited without changing anything else.")
    boolean error;

    /** Splices the SAE into {@code gpt} and says so on stderr; null without {@code --sae}. */
    public SaeSplice attach(Gpt gpt) {
        if (sae == null) {
            if (error) throw new UsageException("--sae-error needs --sae DIR");
            return null;
        }
        SaeSplice s = SaeSplice.attach(gpt, SaeFiles.load(sae), error);
        System.err.println("SAE " + sae + " (" + s.sae().dSae() + " " + s.sae().architecture() + " features) spliced in at "
                + s.hookName() + (error ? ", error term added back" : ", reconstruction only (no error term)"));
        return s;
    }
}
