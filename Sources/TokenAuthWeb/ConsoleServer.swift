#if Console
import Hummingbird
import Mustache
import ServiceLifecycle
import Logging

public enum ConsolePlaceholder {
    public static func router() -> Router<BasicRequestContext> { Router() }
}
#endif
