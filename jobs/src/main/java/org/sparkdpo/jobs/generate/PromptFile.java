package org.sparkdpo.jobs.generate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.sparkdpo.common.JobFailedException;
import org.sparkdpo.model.tokenizer.ChatMessage;

/**
 * The prompts of {@code generate} and {@code compare}: JSON lines, each with {@code prompt} as text, or
 * {@code messages} (or {@code prompt}) as a list of {@code {role, content}} messages, and an optional {@code id}
 * (default: the prompt's 0-based position). Blank lines are skipped; any other bad line fails the job naming the
 * file, the line number and what is wrong.
 */
public final class PromptFile {
    /**
     * One prompt.
     *
     * @param original the {@code prompt}/{@code messages} value as given, echoed in outputs
     * @param text     the text prompt, or for a conversation the content of its last message (what a judge reads)
     * @param messages the conversation, or null for a text prompt
     */
    public record Prompt(String id, JsonNode original, String text, List<ChatMessage> messages) {
        public boolean chat() {
            return messages != null;
        }
    }

    private PromptFile() {}

    public static List<Prompt> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new JobFailedException("prompts file " + file + " does not exist");
        ObjectMapper json = new ObjectMapper();
        List<Prompt> out = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int lineNo = 0;
            for (String line; (line = r.readLine()) != null; ) {
                lineNo++;
                if (line.isBlank()) continue;
                Prompt p = parse(json, line, out.size(), file + ":" + lineNo);
                if (!ids.add(p.id())) throw new JobFailedException(file + ":" + lineNo + ": id '" + p.id() + "' is used twice");
                out.add(p);
            }
        }
        if (out.isEmpty()) throw new JobFailedException("prompts file " + file + " holds no prompts");
        return out;
    }

    private static Prompt parse(ObjectMapper json, String line, int index, String where) {
        JsonNode row;
        try {
            row = json.readTree(line);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new JobFailedException(where + ": not a JSON object: " + e.getOriginalMessage());
        }
        if (row == null || !row.isObject()) throw new JobFailedException(where + ": not a JSON object");
        JsonNode id = row.get("id");
        if (id != null && !id.isNull() && !id.isValueNode()) throw new JobFailedException(where + ": id must be a string or number");
        String idText = id == null || id.isNull() ? String.valueOf(index) : id.asText();
        JsonNode value = row.has("messages") ? row.get("messages") : row.get("prompt");
        if (value == null || value.isNull()) {
            throw new JobFailedException(where + ": no 'prompt' (text or list of {role, content}) and no 'messages'");
        }
        if (value.isTextual()) {
            if (value.asText().isEmpty()) throw new JobFailedException(where + ": the prompt is empty");
            return new Prompt(idText, value, value.asText(), null);
        }
        if (!value.isArray() || value.isEmpty()) {
            throw new JobFailedException(where + ": the prompt must be text or a non-empty list of {role, content} messages");
        }
        List<ChatMessage> messages = new ArrayList<>();
        for (JsonNode m : value) {
            JsonNode role = m.get("role"), content = m.get("content");
            if (!m.isObject() || role == null || !role.isTextual() || content == null || !content.isTextual()) {
                throw new JobFailedException(where + ": message " + messages.size() + " is not {\"role\": text, \"content\": text}");
            }
            messages.add(new ChatMessage(role.asText(), content.asText()));
        }
        String last = messages.get(messages.size() - 1).role();
        if (!last.equals("user") && !last.equals("tool")) {
            throw new JobFailedException(where + ": the last message is from '" + last
                    + "'; it must be from user or tool so the assistant's answer can follow");
        }
        return new Prompt(idText, value, messages.get(messages.size() - 1).content(), messages);
    }
}
