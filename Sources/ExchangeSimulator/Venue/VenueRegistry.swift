/// The venues exchsim knows. Adding an exchange: append its descriptor here (one line).
package enum VenueRegistry {
    package static let all: [VenueDescriptor] = [
        BinanceVenue.descriptor,
        BybitVenue.descriptor,
        WhiteBITVenue.descriptor,
    ]

    package static func descriptor(id: String) -> VenueDescriptor? {
        all.first { $0.id == id }
    }
}
