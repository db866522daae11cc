#if Console
/// /assets/console.css: plain, readable, high-contrast, with visible focus.
enum Stylesheet {
    static let css = """
        :root { --ink: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg: #ffffff; --soft: #f6f8fa;
          --accent: #0a58ca; --danger: #b42318; --ok: #1a7f37; --warn: #8a4b00; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
        a { color: var(--accent); }
        a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible, main:focus-visible {
          outline: 3px solid #1f6feb; outline-offset: 2px; }
        code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.92em; }
        .skip { position: absolute; left: -9999px; } .skip:focus { left: 1rem; top: 1rem; background: #fff; padding: .5rem; z-index: 2; }
        .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
        header.top { display: flex; flex-wrap: wrap; align-items: center; gap: 1.5rem; padding: .6rem 1.5rem; border-bottom: 1px solid var(--line); background: var(--soft); }
        .brand { font-weight: 700; }
        header nav ul { list-style: none; display: flex; gap: 1.1rem; margin: 0; padding: 0; }
        header nav a { text-decoration: none; color: var(--ink); padding: .2rem 0; }
        header nav a[aria-current="page"] { border-bottom: 3px solid var(--accent); font-weight: 600; }
        .who { margin-left: auto; display: flex; gap: .6rem; align-items: center; }
        .who form { margin: 0; }
        main { padding: 1.2rem 1.5rem 3rem; max-width: 1400px; }
        h1 { font-size: 1.6rem; margin: .2rem 0 1rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
        .heading { display: flex; align-items: center; gap: 1rem; justify-content: space-between; }
        .heading h1 { margin-bottom: .6rem; }
        .button, button { display: inline-block; font: inherit; padding: .4rem .9rem; border: 1px solid #8c959f; border-radius: 6px;
          background: #fff; color: var(--ink); text-decoration: none; cursor: pointer; }
        .primary { background: var(--accent); border-color: var(--accent); color: #fff; }
        .danger { background: var(--danger); border-color: var(--danger); color: #fff; }
        button.link { border: 0; background: none; color: var(--accent); text-decoration: underline; padding: 0; }
        .filters { display: flex; flex-wrap: wrap; gap: .8rem; align-items: flex-end; padding: .8rem; background: var(--soft); border: 1px solid var(--line); border-radius: 8px; margin-bottom: 1rem; }
        .filters label, .field label { display: block; font-weight: 600; font-size: .9em; }
        input, select { font: inherit; padding: .35rem .5rem; border: 1px solid #8c959f; border-radius: 6px; max-width: 100%; }
        .table-wrap { overflow-x: auto; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; vertical-align: top; padding: .5rem .6rem; border-bottom: 1px solid var(--line); }
        thead th { font-size: .85em; color: var(--muted); text-transform: uppercase; letter-spacing: .02em; }
        tbody th { font-weight: 600; }
        table.compact { width: auto; min-width: 18rem; }
        .num { text-align: right; font-variant-numeric: tabular-nums; }
        .muted, .help { color: var(--muted); font-size: .9em; margin: .2rem 0; }
        ul.scopes { list-style: none; margin: 0; padding: 0; }
        .badge { display: inline-block; padding: .05rem .5rem; border-radius: 1rem; font-size: .85em; font-weight: 600; border: 1px solid; }
        .badge.good { color: var(--ok); border-color: var(--ok); } .badge.bad { color: var(--danger); border-color: var(--danger); }
        .badge.warn { color: var(--warn); border-color: var(--warn); }
        .uses { white-space: nowrap; } .uses span { display: inline-block; min-width: 2.5em; text-align: right; margin-right: .4rem; font-variant-numeric: tabular-nums; }
        svg.spark rect { fill: var(--accent); }
        details.menu { position: relative; }
        details.menu summary { cursor: pointer; padding: .3rem .6rem; border: 1px solid #8c959f; border-radius: 6px; list-style: none; white-space: nowrap; }
        details.menu summary::-webkit-details-marker { display: none; }
        details.menu ul { position: absolute; right: 0; z-index: 1; list-style: none; margin: .2rem 0 0; padding: .3rem 0; min-width: 9rem; background: #fff; border: 1px solid var(--line); border-radius: 6px; box-shadow: 0 4px 12px rgba(0,0,0,.12); }
        details.menu li a, details.menu li button { display: block; width: 100%; text-align: left; padding: .35rem .9rem; border: 0; border-radius: 0; background: none; color: var(--ink); text-decoration: none; }
        details.menu li form { margin: 0; }
        details.menu li a:hover, details.menu li button:hover { background: var(--soft); }
        .pages { display: flex; gap: 1rem; margin-top: 1rem; }
        .empty { padding: 2rem; border: 1px dashed var(--line); border-radius: 8px; text-align: center; }
        .notice { padding: .6rem .9rem; background: #dafbe1; border: 1px solid #4ac26b; border-radius: 6px; }
        .warning, .danger:not(button):not(.button), .problem { padding: .6rem .9rem; border-radius: 6px; border: 1px solid; }
        .warning { background: #fff8c5; border-color: #d4a72c; }
        div.danger, .problem { background: #ffebe9; border-color: #ff8182; color: var(--ink); }
        .stack { display: flex; flex-direction: column; gap: 1rem; max-width: 46rem; }
        fieldset { border: 1px solid var(--line); border-radius: 8px; padding: .6rem 1rem; }
        legend { font-weight: 600; padding: 0 .3rem; }
        .choice { margin: .3rem 0; } .choice.inline { display: inline-block; margin-right: 1rem; }
        .choice .help { margin-left: 1.6rem; }
        .grant { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0 1rem; border-top: 1px solid var(--soft); }
        .grant .choice { flex: 1 1 18rem; }
        .grant .limit { display: flex; align-items: baseline; gap: .5rem; margin: .3rem 0; }
        .grant .limit label { font-size: .9em; color: var(--muted); white-space: nowrap; }
        .grant .limit input { width: 13rem; }
        .inline-fields { display: flex; gap: 1rem; }
        .buttons { display: flex; gap: .8rem; align-items: center; }
        .secret { margin: 1rem 0; } .secret-row { display: flex; gap: .5rem; } .secret-row input { flex: 1; min-width: 20rem; }
        .actions-bar { display: flex; flex-wrap: wrap; gap: .5rem; margin-bottom: 1rem; } .actions-bar form { margin: 0; }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1.2rem; }
        dl.facts dt { font-weight: 600; color: var(--muted); } dl.facts dd { margin: 0; }
        .chart svg { max-width: 100%; height: auto; } .chart .bar { fill: var(--accent); } .chart .axis { stroke: #8c959f; }
        .chart .tick { font-size: 11px; fill: var(--muted); }
        .columns { display: flex; flex-wrap: wrap; gap: 2rem; }
        tr.refusal { background: #fff5f5; }
        td.detail span { display: inline-block; margin-right: .5rem; font-size: .9em; }
        .nowrap { white-space: nowrap; }
        .crumbs { margin: 0; font-size: .9em; }
        .count { color: var(--muted); font-weight: 400; }
        ul.findings > li { margin-bottom: .8rem; }
        """
}
#endif
