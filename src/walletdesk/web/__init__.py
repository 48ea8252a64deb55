"""Server-rendered pages: the customer's wallet, the public help centre, the agent console.

Pages are thin like the API routes: parse the form, call one service function,
render a template. Everything user-facing exists in zh-CN and en (``texts/``).
"""
