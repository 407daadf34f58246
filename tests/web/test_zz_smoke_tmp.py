import json, time
from tests.web.conftest import *
def test_smoke(shop, customer):
    c = shop.test_client()
    t=time.time(); r = c.get("/"); print("cat", r.status_code, time.time()-t)
    assert r.status_code == 200, r.get_data(as_text=True)[:3000]
    t=time.time(); r = c.get("/configure/sofa"); print("cfg", r.status_code, time.time()-t)
    assert r.status_code == 200, r.get_data(as_text=True)[:3000]
    t=time.time(); r = click(c, "sofa", {}, pick=json.dumps(["cover","top_grain_leather"])); print("click", r.status_code, time.time()-t)
    html = r.get_data(as_text=True)
    assert r.status_code == 200, html[:3000]
    open("/tmp/h7/panel.html","w").write(html)
    st = panel_state(html); print(st)
    t=time.time(); r = click(c, "sofa", st, action="cheapest"); print("cheapest", r.status_code, time.time()-t)
    st = panel_state(r.get_data(as_text=True)); print(st)
