import CryptodFormats

/// The subset of JSON Schema (2020-12, as OpenAPI 3.1 uses it) the route table needs to describe
/// parameters, bodies and responses. Written with ``JSONWriter`` so the document is deterministic.
package indirect enum JSONSchema: Sendable, Hashable {
    case string(StringRules = StringRules())
    case integer(minimum: Int64? = nil, maximum: Int64? = nil)
    case number
    case boolean
    case array(JSONSchema, maxItems: Int? = nil)
    /// An object with these properties; others are allowed unless `closed`.
    case object([Property], closed: Bool = false)
    /// An object whose values all have one schema (a map).
    case map(JSONSchema)
    /// `#/components/schemas/<name>`.
    case ref(String)
    /// The schema or JSON `null`.
    case nullable(JSONSchema)
    /// A value described only in words.
    case any(description: String)

    package struct StringRules: Sendable, Hashable {
        package var format: String?
        package var pattern: String?
        package var choices: [String]?
        package var minLength: Int?
        package var maxLength: Int?

        package init(
            format: String? = nil, pattern: String? = nil, choices: [String]? = nil, minLength: Int? = nil,
            maxLength: Int? = nil
        ) {
            self.format = format
            self.pattern = pattern
            self.choices = choices
            self.minLength = minLength
            self.maxLength = maxLength
        }
    }

    package struct Property: Sendable, Hashable {
        package var name: String
        package var schema: JSONSchema
        package var required: Bool
        package var description: String?

        package init(_ name: String, _ schema: JSONSchema, required: Bool = true, _ description: String? = nil) {
            self.name = name
            self.schema = schema
            self.required = required
            self.description = description
        }
    }

    /// One of `choices`.
    package static func choice(_ choices: [String]) -> JSONSchema { .string(StringRules(choices: choices)) }
    /// RFC 3339 text.
    package static let dateTime = JSONSchema.string(StringRules(format: "date-time"))
    /// An exact decimal as the exchange wrote it.
    package static let decimal = JSONSchema.ref("Decimal")

    /// Writes the schema as a JSON value. `description` is added to the outermost object.
    package func write(into json: inout JSONWriter, description: String? = nil) {
        json.object { json in
            members(into: &json)
            if let description { json.field("description", description) }
        }
    }

    private func members(into json: inout JSONWriter) {
        switch self {
        case .string(let rules):
            json.field("type", "string")
            if let format = rules.format { json.field("format", format) }
            if let pattern = rules.pattern { json.field("pattern", pattern) }
            if let minLength = rules.minLength { json.field("minLength", Int64(minLength)) }
            if let maxLength = rules.maxLength { json.field("maxLength", Int64(maxLength)) }
            if let choices = rules.choices {
                json.key("enum")
                json.array { json in for choice in choices { json.value(choice) } }
            }
        case .integer(let minimum, let maximum):
            json.field("type", "integer")
            if let minimum { json.field("minimum", minimum) }
            if let maximum { json.field("maximum", maximum) }
        case .number:
            json.field("type", "number")
        case .boolean:
            json.field("type", "boolean")
        case .array(let items, let maxItems):
            json.field("type", "array")
            json.key("items")
            items.write(into: &json)
            if let maxItems { json.field("maxItems", Int64(maxItems)) }
        case .object(let properties, let closed):
            json.field("type", "object")
            json.key("properties")
            json.object { json in
                for property in properties {
                    json.key(property.name)
                    property.schema.write(into: &json, description: property.description)
                }
            }
            let required = properties.filter(\.required).map(\.name)
            if !required.isEmpty {
                json.key("required")
                json.array { json in for name in required { json.value(name) } }
            }
            if closed { json.field("additionalProperties", false) }
        case .map(let values):
            json.field("type", "object")
            json.key("additionalProperties")
            values.write(into: &json)
        case .ref(let name):
            json.field("$ref", "#/components/schemas/\(name)")
        case .nullable(let inner):
            json.key("anyOf")
            json.array { json in
                inner.write(into: &json)
                json.object { $0.field("type", "null") }
            }
        case .any(let description):
            json.field("description", description)
        }
    }
}
