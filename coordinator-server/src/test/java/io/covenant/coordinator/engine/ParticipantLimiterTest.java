package io.covenant.coordinator.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ParticipantLimiterTest {
  @Test
  void aParticipantIsItsSchemeHostAndPortWhateverThePathOrCase() {
    assertThat(ParticipantLimiter.key("http://stock:8080/tcc/confirm?x=1"))
        .isEqualTo(ParticipantLimiter.key("HTTP://Stock:8080/tcc/cancel"))
        .isEqualTo("http://stock:8080");
    assertThat(ParticipantLimiter.key("http://stock:8080?x")).isEqualTo("http://stock:8080");
    assertThat(ParticipantLimiter.key("http://stock")).isEqualTo("http://stock");
    assertThat(ParticipantLimiter.key("http://[::1]:9000/a")).isEqualTo("http://[::1]:9000");
    assertThat(ParticipantLimiter.key("https://stock:8080/a")).isNotEqualTo(ParticipantLimiter.key("http://stock:8080/a"));
    assertThat(ParticipantLimiter.key("http://stock:8081/a")).isNotEqualTo(ParticipantLimiter.key("http://stock:8080/a"));
  }

  @Test
  void callsBeyondTheCapWaitInArrivalOrderAndTakeFreedSlots() {
    ParticipantLimiter limiter = new ParticipantLimiter(2);
    List<String> started = new ArrayList<>();
    for (String call : List.of("a", "b", "c", "d")) {
      limiter.submit("http://p:1/" + call, () -> started.add(call));
    }
    limiter.submit("http://other:1/x", () -> started.add("x"));
    assertThat(started).containsExactly("a", "b", "x");
    assertThat(limiter.waiting()).isEqualTo(2);

    limiter.release("http://p:1/a");
    assertThat(started).containsExactly("a", "b", "x", "c");
    limiter.release("http://p:1/b");
    limiter.release("http://p:1/c");
    limiter.release("http://p:1/d");
    assertThat(started).containsExactly("a", "b", "x", "c", "d");
    assertThat(limiter.waiting()).isZero();
  }
}
