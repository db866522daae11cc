import CTokenAuth
import TokenAuthCore
#if canImport(Glibc)
import Glibc
#endif

/// Static C strings made once and never freed: what the helpers hand out ("static storage").
private enum StaticText {
    static func make(_ text: String) -> UnsafePointer<CChar>? { UnsafePointer(strdup(text)) }

    nonisolated(unsafe) static let names: [Int32: UnsafePointer<CChar>?] = Dictionary(uniqueKeysWithValues: Status.allCases.map { ($0.rawValue, make($0.name)) })
    nonisolated(unsafe) static let unknownName = make("TA_UNKNOWN_STATUS")
    nonisolated(unsafe) static let errorBodies: [Int32: UnsafePointer<CChar>?] = Dictionary(uniqueKeysWithValues: Status.allCases.compactMap { status in
        status.errorJSON.map { (status.rawValue, make($0)) }
    })
    nonisolated(unsafe) static let unknownErrorBody = make(Status.errorBody("Internal Server Error"))
    nonisolated(unsafe) static let version = make(TA_VERSION_STRING)
}

private func known(_ status: ta_status) -> Status? { Status(rawValue: Int32(bitPattern: status.rawValue)) }

/// The constant's name, e.g. "TA_FORBIDDEN"; "TA_UNKNOWN_STATUS" for other values. Static storage.
@c @implementation
public func ta_status_name(_ status: ta_status) -> UnsafePointer<CChar>? {
    known(status).flatMap { StaticText.names[$0.rawValue] ?? nil } ?? StaticText.unknownName
}

/// The HTTP status for a status (200 for TA_OK, 500 for unknown values).
@c @implementation
public func ta_status_http(_ status: ta_status) -> Int32 {
    Int32(known(status)?.httpStatus ?? 500)
}

/// A static JSON error body for a status; NULL for TA_OK.
@c @implementation
public func ta_error_json(_ status: ta_status) -> UnsafePointer<CChar>? {
    guard let value = known(status) else { return StaticText.unknownErrorBody }
    return value == .ok ? nil : (StaticText.errorBodies[value.rawValue] ?? nil)
}

/// Detail of the last failed call on this thread; "" if none.
@c @implementation
public func ta_last_error() -> UnsafePointer<CChar>? { LastError.current }

/// The library's version, "MAJOR.MINOR.PATCH". Static storage.
@c @implementation
public func ta_version() -> UnsafePointer<CChar>? { StaticText.version }

/// Frees a string the library returned. NULL is a no-op.
@c @implementation
public func ta_free(_ pointer: UnsafeMutableRawPointer?) { free(pointer) }
