package org.sparkdpo.jobs.precompute;

import org.sparkdpo.data.DatasetManifest;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;

/**
 * What the output folder holds before a run, and therefore what the run may do: start fresh, resume (same
 * fingerprint, some shards missing), skip (same fingerprint, complete), or neither (a different fingerprint, or a
 * folder that is not a precompute output at all).
 *
 * @param kind        the verdict
 * @param fingerprint the fingerprint found (manifest or _fingerprint.json), null for EMPTY/FOREIGN
 * @param missing     input shard files without a valid marker and data file (resume/fresh: what to compute)
 */
record OutputState(Kind kind, String fingerprint, List<String> missing) {
    enum Kind {
        /** No folder, or an empty one. */
        EMPTY,
        /** Ours, same fingerprint, every shard committed and the manifest written. */
        COMPLETE,
        /** Ours, same fingerprint, work left (shards or the manifest). */
        PARTIAL,
        /** Ours, but computed from different inputs. */
        DIFFERENT,
        /** Holds files, but not a precompute output. */
        FOREIGN
    }

    static OutputState inspect(FileSystem fs, OutputLayout out, String fingerprint, List<DatasetManifest.Shard> shards)
            throws IOException {
        if (!fs.exists(out.root())) return new OutputState(Kind.EMPTY, null, names(shards));
        FileStatus[] children = fs.listStatus(out.root());
        if (children.length == 0) return new OutputState(Kind.EMPTY, null, names(shards));
        JsonNode manifest = OutputLayout.readJson(fs, out.manifest());
        // an output in the old layout counts as unfinished: the run rewrites its manifest under the new name
        JsonNode legacy = manifest == null ? OutputLayout.readJson(fs, out.legacyManifest()) : null;
        JsonNode started = OutputLayout.readJson(fs, out.fingerprintFile());
        JsonNode found = manifest != null ? manifest : legacy != null ? legacy : started;
        if (found == null || !found.path("fingerprint").isTextual()) return new OutputState(Kind.FOREIGN, null, List.of());
        String fp = found.path("fingerprint").asText();
        if (!fp.equals(fingerprint)) return new OutputState(Kind.DIFFERENT, fp, List.of());
        List<String> missing = new ArrayList<>();
        for (DatasetManifest.Shard s : shards) {
            ShardMarker m = ShardMarker.read(fs, out.marker(s.file()));
            if (m == null || !fingerprint.equals(m.fingerprint()) || !fs.exists(out.data(s.file()))) missing.add(s.file());
        }
        Kind kind = missing.isEmpty() && manifest != null ? Kind.COMPLETE : Kind.PARTIAL;
        return new OutputState(kind, fp, List.copyOf(missing));
    }

    private static List<String> names(List<DatasetManifest.Shard> shards) {
        return shards.stream().map(DatasetManifest.Shard::file).toList();
    }
}
