package io.github.conversationstore.adk;

import com.google.adk.events.Event;
import com.google.adk.events.EventActions;
import com.google.genai.types.Content;
import com.google.genai.types.FunctionCall;
import com.google.genai.types.FunctionResponse;
import com.google.genai.types.Part;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Events as ADK's runner makes them, for the tests. */
final class Events {
    private Events() {}

    static Event user(String text) {
        return Event.builder().id(Event.generateEventId()).invocationId("inv-1").author("user")
                .content(Content.fromParts(Part.fromText(text))).build();
    }

    static Event model(String text) {
        return Event.builder().id(Event.generateEventId()).invocationId("inv-1").author("weather_agent")
                .content(Content.builder().role("model").parts(Part.fromText(text)).build()).build();
    }

    static Event withDelta(Map<String, Object> delta) {
        return Event.builder().id(Event.generateEventId()).invocationId("inv-1").author("weather_agent")
                .actions(EventActions.builder().stateDelta(new ConcurrentHashMap<>(delta)).build()).build();
    }

    static Event at(long timestamp) {
        return Event.builder().id(Event.generateEventId()).author("weather_agent").timestamp(timestamp).build();
    }

    static Event call(String callId, String city) {
        return Event.builder().id(Event.generateEventId()).invocationId("inv-1").author("weather_agent")
                .content(Content.builder().role("model").parts(Part.builder().functionCall(FunctionCall.builder()
                        .id(callId).name("get_weather").args(Map.of("city", city)).build()).build()).build())
                .build();
    }

    static Event response(String callId, String weather) {
        return Event.builder().id(Event.generateEventId()).invocationId("inv-1").author("weather_agent")
                .content(Content.builder().role("user").parts(Part.builder().functionResponse(FunctionResponse.builder()
                        .id(callId).name("get_weather").response(Map.of("weather", weather, "celsius", 21)).build())
                        .build()).build())
                .build();
    }
}
