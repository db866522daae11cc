#if Console
import TokenAuthCore

/// The geometry of a token's usage chart: one bar per UTC day, the last `days` days up to today,
/// scaled to the busiest day. Only numbers and dates go into the SVG.
struct UsageChart {
    struct Bar: Sendable {
        let x: Int
        let y: Int
        let width: Int
        let height: Int
        let label: String
    }

    struct Day: Sendable {
        let day: String
        let uses: Int64
    }

    let width = 720
    let height = 180
    let left = 40
    let right = 712
    let top = 10
    let baseline = 150
    let bars: [Bar]
    let maximum: Int64
    let firstDay: String
    let lastDay: String
    let summary: String
    let table: [Day]

    init(byDay: [String: Int64], days: Int, today: Int64) {
        let dayNumbers = (0..<days).map { today - Int64(days - 1 - $0) }
        let counts = dayNumbers.map { byDay[UTCDay.format($0)] ?? 0 }
        maximum = max(counts.max() ?? 0, 1)
        let (left, baseline) = (self.left, self.baseline)
        let slot = (right - left) / max(days, 1)
        let plot = baseline - top
        let peak = maximum
        bars = counts.enumerated().compactMap { index, count in
            guard count > 0 else { return nil }
            let barHeight = max(1, Int((Double(count) / Double(peak) * Double(plot)).rounded()))
            return Bar(x: left + index * slot + 1, y: baseline - barHeight, width: max(slot - 2, 1), height: barHeight,
                       label: "\(UTCDay.format(dayNumbers[index])): \(count) \(count == 1 ? "use" : "uses")")
        }
        firstDay = UTCDay.format(dayNumbers.first ?? today)
        lastDay = UTCDay.format(today)
        let total = counts.reduce(0, +)
        let busiest = counts.max() ?? 0
        summary = "\(total) \(total == 1 ? "use" : "uses") from \(firstDay) to \(lastDay)" + (busiest > 0 ? "; at most \(busiest) on one day" : "")
        table = zip(dayNumbers, counts).reversed().map { Day(day: UTCDay.format($0.0), uses: $0.1) }
    }
}
#endif
