package dev.loupe.experiments.moe;

import dev.loupe.tokens.CharTokenizer;

import java.util.List;

/**
 * What {@link MoeSpecialisation} found.
 *
 * @param settings the run's settings
 * @param tokenizer one token per character of {@link MixedSources#CHARACTERS}
 * @param sample   the first 200 characters of the training corpus
 * @param runs     without aux loss, with aux loss, dense (in this order)
 */
public record MoeSpecialisationResult(MoeSpecialisation.Settings settings, CharTokenizer tokenizer, String sample,
                                      List<MoeSpecialisation.Run> runs) {
    public MoeSpecialisation.Run withoutAux() { return runs.get(0); }

    public MoeSpecialisation.Run withAux() { return runs.get(1); }

    public MoeSpecialisation.Run dense() { return runs.get(2); }
}
