package dev.loupe.hub;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@link HubDownloader#fetch} did.
 *
 * @param dir            the model directory (in Loupe's cache, or a Hugging Face snapshot that had everything)
 * @param reusedHuggingFaceCache true when nothing was downloaded because the Hugging Face cache had all files
 * @param downloaded     files downloaded (or finished from a partial download) now
 * @param alreadyPresent files that were already complete in Loupe's cache
 * @param notOnHub       optional files the repository does not have (e.g. no merges.txt)
 */
public record FetchResult(Path dir, boolean reusedHuggingFaceCache, List<String> downloaded, List<String> alreadyPresent,
                          List<String> notOnHub) {}
