package dev.loupe.cli.model;

import picocli.CommandLine.Option;

/**
 * {@code --allow-nonfinite}, for every command that loads a model: weights holding NaN or ±Inf are
 * refused on load (naming the tensor and the first bad element) unless this is given, e.g. to look
 * into a run that diverged.
 */
public final class NonFiniteOption {
    @Option(names = "--allow-nonfinite",
            description = "Load weights that hold NaN or Inf (refused by default, naming the tensor and element).")
    boolean allow;

    /** Whether non-finite weights may be loaded. */
    public boolean allowed() {
        return allow;
    }
}
