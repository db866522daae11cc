#if Console
/// /assets/console.js: the console's only script (no inline script anywhere; the CSP forbids it).
/// The copy button, and menus that close when another opens or on Escape. Every page works without it.
enum Script {
    static let js = """
        "use strict";
        document.addEventListener("click", function (event) {
          var button = event.target.closest("[data-copy]");
          if (button) {
            var field = document.getElementById(button.getAttribute("data-copy"));
            var status = document.getElementById("copy-status");
            var done = function (text) { if (status) { status.textContent = text; } };
            field.select();
            if (navigator.clipboard && navigator.clipboard.writeText) {
              navigator.clipboard.writeText(field.value).then(function () { done("Copied to the clipboard."); },
                function () { done(document.execCommand("copy") ? "Copied to the clipboard." : "Press Ctrl+C to copy."); });
            } else {
              done(document.execCommand("copy") ? "Copied to the clipboard." : "Press Ctrl+C to copy.");
            }
            return;
          }
          document.querySelectorAll("details.menu[open]").forEach(function (menu) {
            if (!menu.contains(event.target)) { menu.removeAttribute("open"); }
          });
        });
        document.addEventListener("keydown", function (event) {
          if (event.key !== "Escape") { return; }
          document.querySelectorAll("details.menu[open]").forEach(function (menu) {
            menu.removeAttribute("open");
            menu.querySelector("summary").focus();
          });
        });
        """
}
#endif
