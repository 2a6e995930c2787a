package org.sparkdpo.prep.pair;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparkdpo.model.tokenizer.ChatMessage;

class ImplicitPromptTest {
    static final String HISTORY = "\n\nHuman: What is 2+2?\n\nAssistant: 4.\n\nHuman: And 3+3?\n\nAssistant:";

    @Test
    void hhTranscriptSplitsAtTheLastAssistantTurn() throws Rejected {
        ImplicitPrompt.TextSplit s = ImplicitPrompt.split(HISTORY + " It is 6.", HISTORY + " Go away.", ImplicitPrompt.HH_ASSISTANT);
        assertEquals(HISTORY, s.prompt());
        assertEquals(" It is 6.", s.chosen());
        assertEquals(" Go away.", s.rejected());
        // Both answers start alike: the marker still puts the cut at the turn, not inside the answers.
        s = ImplicitPrompt.split(HISTORY + " It is 6.", HISTORY + " It is 7.", ImplicitPrompt.HH_ASSISTANT);
        assertEquals(HISTORY, s.prompt());
        assertEquals(" It is 6.", s.chosen());
        // One answer extends the other.
        s = ImplicitPrompt.split(HISTORY + " Six", HISTORY + " Six, obviously", ImplicitPrompt.HH_ASSISTANT);
        assertEquals(" Six, obviously", s.rejected());
    }

    @Test
    void withoutMarkerFollowsTrlExtractPrompt() throws Rejected {
        // TRL: cut at the first difference, stepping back over one space.
        ImplicitPrompt.TextSplit s = ImplicitPrompt.split("The sky is blue", "The sky is green", "");
        assertEquals("The sky is", s.prompt());
        assertEquals(" blue", s.chosen());
        assertEquals(" green", s.rejected());
        // The marker is only used when the shared prefix contains it.
        s = ImplicitPrompt.split("The sky is blue", "The sky is green", ImplicitPrompt.HH_ASSISTANT);
        assertEquals("The sky is", s.prompt());
        // Same answers prefix: TRL puts the shared words into the prompt.
        s = ImplicitPrompt.split(HISTORY + " It is 6.", HISTORY + " It is 7.", "");
        assertEquals(HISTORY + " It is", s.prompt());
        assertEquals(" 6.", s.chosen());
        Rejected r = assertThrows(Rejected.class, () -> ImplicitPrompt.split("abc", "xyz", ""));
        assertEquals(RejectReason.EMPTY_FIELD, r.reason());
    }

    @Test
    void messagesSplitAtTheFirstDifferentMessage() throws Rejected {
        List<ChatMessage> c = List.of(ChatMessage.user("hi"), ChatMessage.assistant("hello"), ChatMessage.user("color?"),
                ChatMessage.assistant("blue"));
        List<ChatMessage> r = List.of(ChatMessage.user("hi"), ChatMessage.assistant("hello"), ChatMessage.user("color?"),
                ChatMessage.assistant("green"));
        ImplicitPrompt.MessageSplit s = ImplicitPrompt.split(c, r);
        assertEquals(c.subList(0, 3), s.prompt());
        assertEquals(List.of(ChatMessage.assistant("blue")), s.chosen());
        assertEquals(List.of(ChatMessage.assistant("green")), s.rejected());
        assertEquals(RejectReason.EMPTY_COMPLETION, assertThrows(Rejected.class, () -> ImplicitPrompt.split(c.subList(0, 3), r)).reason());
        assertEquals(RejectReason.EMPTY_FIELD, assertThrows(Rejected.class,
                () -> ImplicitPrompt.split(List.of(ChatMessage.user("a")), List.of(ChatMessage.user("b")))).reason());
    }
}
