// The default theme, with a wider text column for long signatures and examples.
import DefaultTheme from "vitepress/theme";
import "./wide.css";

export default DefaultTheme;
