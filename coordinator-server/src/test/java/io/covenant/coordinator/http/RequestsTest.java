package io.covenant.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.covenant.coordinator.core.RetryPolicy;
import io.covenant.protocol.CovenantException;
import io.covenant.protocol.SagaRequest;
import io.covenant.protocol.SagaStep;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class RequestsTest {
  private static final int ID_LENGTH_MAX = 16;
  private final Requests requests = new Requests(ID_LENGTH_MAX, 10, 3, Duration.ofMinutes(5), 100,
      new ParticipantUrls("*"), new RetryPolicy(Duration.ofMillis(100), Duration.ofSeconds(10)));

  /** Ids are checked by a loop (#6); it must accept exactly what the documented character class does. */
  @Test
  void acceptsAnIdExactlyWhenItIsOneToTheMaximumOfTheAllowedCharacters() {
    Pattern documented = Pattern.compile("[A-Za-z0-9._:-]{1," + ID_LENGTH_MAX + "}");
    List<String> ids = new ArrayList<>(List.of("", "a", "order-4711", "A.b_c:d-9", "x".repeat(ID_LENGTH_MAX),
        "x".repeat(ID_LENGTH_MAX + 1), "with space", "slash/", "ü", "٣", "𝟘", "tab\t", "new\nline"));
    for (char c = 0; c < 0x180; c++) {
      ids.add("id" + c);
    }
    for (String id : ids) {
      boolean valid = documented.matcher(id).matches();
      if (valid) {
        assertThat(requests.pathGid(id)).as("'%s'", id).isEqualTo(id);
      } else {
        assertThatThrownBy(() -> requests.pathGid(id)).as("'%s'", id).isInstanceOf(CovenantException.class)
            .hasMessageContaining("gid must be 1 to " + ID_LENGTH_MAX + " characters");
      }
    }
  }

  /** The field names of the first steps are made once (#6); later steps must be named as well. */
  @Test
  void namesTheStepAtFaultWhateverItsIndex() {
    Requests many = new Requests(ID_LENGTH_MAX, 100, 3, Duration.ofMinutes(5), 100,
        new ParticipantUrls("*"), new RetryPolicy(Duration.ofMillis(100), Duration.ofSeconds(10)));
    for (int bad : new int[] {0, 31, 32, 70}) {
      List<SagaStep> steps = new ArrayList<>();
      for (int i = 0; i < 80; i++) {
        steps.add(SagaStep.of(i == bad ? "bad name" : "s" + i, "http://p/do", "http://p/undo"));
      }
      assertThatThrownBy(() -> many.saga(new SagaRequest(null, null, null, steps)))
          .isInstanceOf(CovenantException.class).hasMessageStartingWith("steps[" + bad + "].name must be 1 to");
      steps.set(bad, SagaStep.of("s" + bad, "ftp://p/do", "http://p/undo"));
      assertThatThrownBy(() -> many.saga(new SagaRequest(null, null, null, steps)))
          .isInstanceOf(CovenantException.class).hasMessageStartingWith("steps[" + bad + "].action must be an absolute");
    }
  }
}
