package protocol

import "strings"

// ValidColour reports whether s is a CSS colour that is safe to put into a
// style sheet as it is: a hex colour (#rgb, #rgba, #rrggbb, #rrggbbaa) or
// a CSS named colour (any case; "transparent" included, "currentcolor"
// and system colours not). Functional forms (rgb(), hsl(), …) are refused:
// a profile colour or an `initialize` override is one of these or nothing,
// so nothing else can ever be injected into CSS (docs/CONTRACT.md#config).
func ValidColour(s string) bool {
	if strings.HasPrefix(s, "#") {
		hex := s[1:]
		switch len(hex) {
		case 3, 4, 6, 8:
		default:
			return false
		}
		for i := 0; i < len(hex); i++ {
			c := hex[i]
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
		return true
	}
	name := strings.ToLower(s)
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if name[i] < 'a' || name[i] > 'z' {
			return false
		}
	}
	return strings.Contains(namedColours, " "+name+" ")
}

// namedColours is the CSS Color Module Level 4 list of named colours,
// each between spaces.
const namedColours = " " +
	"aliceblue antiquewhite aqua aquamarine azure beige bisque black " +
	"blanchedalmond blue blueviolet brown burlywood cadetblue chartreuse " +
	"chocolate coral cornflowerblue cornsilk crimson cyan darkblue " +
	"darkcyan darkgoldenrod darkgray darkgreen darkgrey darkkhaki " +
	"darkmagenta darkolivegreen darkorange darkorchid darkred darksalmon " +
	"darkseagreen darkslateblue darkslategray darkslategrey darkturquoise " +
	"darkviolet deeppink deepskyblue dimgray dimgrey dodgerblue firebrick " +
	"floralwhite forestgreen fuchsia gainsboro ghostwhite gold goldenrod " +
	"gray green greenyellow grey honeydew hotpink indianred indigo ivory " +
	"khaki lavender lavenderblush lawngreen lemonchiffon lightblue " +
	"lightcoral lightcyan lightgoldenrodyellow lightgray lightgreen " +
	"lightgrey lightpink lightsalmon lightseagreen lightskyblue " +
	"lightslategray lightslategrey lightsteelblue lightyellow lime " +
	"limegreen linen magenta maroon mediumaquamarine mediumblue " +
	"mediumorchid mediumpurple mediumseagreen mediumslateblue " +
	"mediumspringgreen mediumturquoise mediumvioletred midnightblue " +
	"mintcream mistyrose moccasin navajowhite navy oldlace olive olivedrab " +
	"orange orangered orchid palegoldenrod palegreen paleturquoise " +
	"palevioletred papayawhip peachpuff peru pink plum powderblue purple " +
	"rebeccapurple red rosybrown royalblue saddlebrown salmon sandybrown " +
	"seagreen seashell sienna silver skyblue slateblue slategray slategrey " +
	"snow springgreen steelblue tan teal thistle tomato turquoise violet " +
	"wheat white whitesmoke yellow yellowgreen transparent "
